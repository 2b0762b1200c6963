import Testing
import Flags

@Suite struct PublicURLFlagTests {
    static let variable = CommandLineArguments.publicURLVariable

    @Test func theFlagWinsOverTheEnvironmentAndATrailingSlashIsDropped() throws {
        let environment = [Self.variable: "https://from-the-environment.example"]
        #expect(try CommandLineArguments(["--public-url", "https://portal.example.com/"]).publicURL("--public-url", environment: environment)
                == "https://portal.example.com")
        #expect(try CommandLineArguments([]).publicURL("--public-url", environment: environment) == "https://from-the-environment.example")
        #expect(try CommandLineArguments(["--public-url=http://127.0.0.1:8080/portal"]).publicURL("--public-url", environment: [:])
                == "http://127.0.0.1:8080/portal")
        #expect(try CommandLineArguments([]).publicURL("--public-url", environment: [:]) == nil)
        #expect(try CommandLineArguments([]).publicURL("--public-url", environment: [Self.variable: ""]) == nil, "set but empty: unset")
    }

    @Test func aBadURLIsRefusedNamingWhereItCameFrom() {
        for url in ["portal.example.com", "ftp://portal.example.com", "https://", "https:///path", "https://zoë.example", "https://a b.example"] {
            #expect(throws: CommandLineArguments.Failure(description:
                "--portal-url: must be an http(s) URL in ASCII, such as https://portal.example.com; found \"\(url)\"")) {
                try CommandLineArguments(["--portal-url", url]).publicURL("--portal-url", environment: [:])
            }
        }
        #expect(throws: CommandLineArguments.Failure(description:
            "\(Self.variable): must be an http(s) URL in ASCII, such as https://portal.example.com; found \"portal\"")) {
            try CommandLineArguments([]).publicURL("--public-url", environment: [Self.variable: "portal"])
        }
        #expect(throws: CommandLineArguments.Failure(description: "--public-url: a URL is required, such as https://portal.example.com")) {
            try CommandLineArguments(["--public-url"]).publicURL("--public-url", environment: [:])
        }
    }
}

import Testing
import Flags

@Suite struct DurationFlagTests {
    @Test func readsAWholeNumberAndAUnit() throws {
        let arguments = CommandLineArguments(["--a", "500ms", "--b", "90s", "--c=15m", "--d", "24h", "--e", "7d"])
        #expect(try arguments.duration("--a") == .milliseconds(500))
        #expect(try arguments.duration("--b") == .seconds(90))
        #expect(try arguments.duration("--c") == .seconds(900))
        #expect(try arguments.duration("--d") == .seconds(86_400))
        #expect(try arguments.duration("--e") == .seconds(7 * 86_400))
        #expect(try arguments.duration("--missing") == nil)
    }

    @Test func refusesOtherSpellingsNamingTheFlag() {
        for text in ["24", "h", "0s", "-5s", "1.5h", "24 h", "3w", "99999999999999999999d"] {
            let arguments = CommandLineArguments(["--job-ttl=\(text)"])
            #expect(throws: CommandLineArguments.Failure.self, "\(text)") { try arguments.duration("--job-ttl") }
        }
        #expect(throws: CommandLineArguments.Failure(description: "--job-ttl: \"3w\" is not a duration such as 500ms, 90s, 15m, 24h or 7d")) {
            try CommandLineArguments(["--job-ttl", "3w"]).duration("--job-ttl")
        }
        #expect(throws: CommandLineArguments.Failure.self) { try CommandLineArguments(["--job-ttl"]).duration("--job-ttl") }
    }
}

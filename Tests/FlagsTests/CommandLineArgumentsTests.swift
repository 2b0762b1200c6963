import Testing
import Flags

@Suite struct CommandLineArgumentsTests {
    @Test func parsesValuesFlagsAndPositionals() throws {
        let arguments = CommandLineArguments(["load", "--port", "9000", "--rate=250.5", "--verbose", "x"], booleanFlags: ["--verbose"])
        #expect(arguments.positional == ["load", "x"])
        #expect(try arguments.integer("--port") == 9000)
        #expect(try arguments.double("--rate") == 250.5)
        #expect(arguments.flag("--verbose"))
        #expect(arguments.string("--missing") == nil)
    }

    @Test func namesTheFlagInErrors() {
        let arguments = CommandLineArguments(["--port", "nine", "--bogus", "1"])
        #expect(throws: CommandLineArguments.Failure(description: "--port: \"nine\" is not a whole number")) {
            try arguments.integer("--port")
        }
        #expect(throws: CommandLineArguments.Failure(description: "--bogus: unknown option")) {
            try arguments.rejectUnknown(known: ["--port"])
        }
    }

    @Test func aValueIsRequiredForNumbers() {
        let arguments = CommandLineArguments(["--port"])
        #expect(throws: CommandLineArguments.Failure.self) { try arguments.integer("--port") }
    }
}

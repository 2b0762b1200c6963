import CertificateFiles
import Foundation
import Testing
import RPCTesting

/// The PDF check in a child process: the built `cert-store check-pdf`, and stand-ins for a
/// checker that hangs, crashes or talks nonsense.
@Suite(.serialized) struct IsolatedPDFCheckTests {
    static let checker = {
        var checker = IsolatedPDFCheck(executable: ServiceProcess.executable("cert-store").path)
        checker.deadline = .seconds(120)  // only to keep a broken test from hanging
        return checker
    }()

    /// The refusal `checker` gives (nil: the file passed), from a thread of its own: the check blocks.
    static func isolatedRefusal(_ bytes: [UInt8], _ checker: IsolatedPDFCheck = checker) async throws -> String? {
        try await onThread { () throws -> String? in
            do {
                try checker.check(bytes)
                return nil
            } catch let refusal as FileRefusal {
                return refusal.reason
            }
        }
    }

    @Test func aGoodPDFPasses() async throws {
        #expect(try await Self.isolatedRefusal(Fixtures.pdf()) == nil)
        #expect(try await Self.isolatedRefusal(Fixtures.encrypted(Fixtures.pdf(), userPassword: "")) == nil)
    }

    @Test func aDamagedPDFGetsTheReasonItGetsInProcess() async throws {
        let good = String(decoding: Fixtures.pdf(), as: UTF8.self)
        let damaged: [[UInt8]] = [
            Array(good.replacingOccurrences(of: "startxref\n", with: "startxref\n9").utf8),
            Fixtures.pdf(pagesReference: "9 0 R"),
            Array(good.replacingOccurrences(of: "/Length 56", with: "/Length 96").utf8),
            Fixtures.pdf(content: "BT /F1 24 Tf 72 720 Td (Certificate of completion Tj ET"),
            Array(Fixtures.pdf().prefix(200)),
            try await Fixtures.encrypted(Fixtures.pdf()),
        ]
        for bytes in damaged {
            let inProcess = try #require(refusal(bytes))
            #expect(try await Self.isolatedRefusal(bytes) == inProcess)
        }
    }

    @Test func aDecompressionBombIsRefusedForTheMemoryItNeeds() async throws {
        let bomb = try await decompressionBombPDF(megabytes: 3000)
        #expect(bomb.count < 4 << 20)
        #expect(try await Self.isolatedRefusal(bomb) == IsolatedPDFCheck.tooMuchMemory.reason)
    }

    @Test func inspectSendsOnlyPDFsToTheChild() async throws {
        let png = try await Fixtures.image("png")
        try await onThread { () throws -> Void in
            let nowhere = IsolatedPDFCheck(executable: "/nonexistent/checker")
            #expect(try CertificateFileCheck.inspect(png, checkingPDFsWith: nowhere) == .png)
            #expect(throws: IsolatedPDFCheck.Failure.self) { try CertificateFileCheck.inspect(Fixtures.pdf(), checkingPDFsWith: nowhere) }
            #expect(try CertificateFileCheck.inspect(Fixtures.pdf(), checkingPDFsWith: Self.checker) == .pdf)
            #expect(try CertificateFileCheck.inspect(Fixtures.pdf(), checkingPDFsWith: nil) == .pdf)
        }
    }

    // MARK: Checkers that misbehave

    @Test func aCheckerPastItsDeadlineIsKilledAndTheFileRefused() async throws {
        var hanging = IsolatedPDFCheck(executable: "/bin/sleep", arguments: ["600"])
        hanging.deadline = .seconds(1)
        #expect(try await Self.isolatedRefusal(Fixtures.pdf(), hanging) == "the PDF takes more than 1 s to check")
    }

    @Test func aCheckerKilledByASignalRefusesTheFile() async throws {
        let crashing = IsolatedPDFCheck(executable: "/bin/sh", arguments: ["-c", "kill -SEGV $$"])
        #expect(try await Self.isolatedRefusal(Fixtures.pdf(), crashing) == IsolatedPDFCheck.tooMuchMemory.reason)
        let overCPU = IsolatedPDFCheck(executable: "/bin/sh", arguments: ["-c", "kill -XCPU $$"])
        #expect(try await Self.isolatedRefusal(Fixtures.pdf(), overCPU) == "the PDF takes more than \(IsolatedPDFCheck.cpuSeconds) s to check")
    }

    /// A checker that cannot start, or exits without a verdict (here before reading its
    /// input: the write fails with EPIPE, and SIGPIPE must not kill the test process), is
    /// no refusal of the file.
    @Test func aCheckerThatGivesNoVerdictIsAFailureNotARefusal() async throws {
        let large = Fixtures.pdf() + [UInt8](repeating: 0x20, count: 1 << 20)
        for (checker, bytes) in [(IsolatedPDFCheck(executable: "/nonexistent/checker"), Fixtures.pdf()),
                                 (IsolatedPDFCheck(executable: "/bin/echo", arguments: ["nonsense"]), large),
                                 (IsolatedPDFCheck(executable: "/bin/false", arguments: []), large)] {
            await #expect(throws: IsolatedPDFCheck.Failure.self, "\(checker.executable)") { _ = try await Self.isolatedRefusal(bytes, checker) }
        }
    }
}

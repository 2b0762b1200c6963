import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// Uploads from 1 MiB on, kept in DATA/certificate-files: written as they arrive, on disk
/// before the upload is acknowledged, gone again when refused, broken off, or left by a
/// stopped process.
@Suite(.serialized) struct CertificateFileDirectoryTests {
    typealias Certificates = Certportal_Certificates_V1_Certificates
    typealias Flow = CertificateFlowTests

    /// A PNG of noise (incompressible), `width` × `height`, made by Python's zlib.
    static func noisePNG(width: Int = 1000, height: Int = 1000) async throws -> [UInt8] {
        let script = """
            import os, struct, sys, zlib
            w, h = \(width), \(height)
            raw = b''.join(b'\\x00' + os.urandom(w * 3) for _ in range(h))
            chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 1)) + chunk(b'IEND', b''))
            """
        return [UInt8](try await runTool("python3", ["-c", script]).output)
    }

    static func directory(_ portal: Portal) -> String { portal.data + "/certificate-files" }

    static func files(_ portal: Portal) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory(portal)).sorted()
    }

    @Test func aLargeUploadIsKeptAsAFileAndSurvivesAKilledCertStore() async throws {
        try await Flow.withRecords { portal, rows in
            let target = try Flow.pending(rows)
            let first = try await Self.noisePNG(), second = try await Self.noisePNG(width: 700)
            #expect(first.count > 2 * 1024 * 1024)
            let client = portal.client(portal.certificates)
            let added = try await Flow.upload(client, target.recordId, first)
            #expect(added.certificate?.versions.first?.size == UInt64(first.count))
            let stored = try Self.files(portal)
            #expect(stored.count == 1 && !stored[0].hasSuffix(".part"), "\(stored)")
            // Written past the page cache, then read back into it for the reads that follow an upload.
            #expect(try await becomesResident(Self.directory(portal) + "/" + stored[0], bytes: first.count))
            #expect(try Data(contentsOf: URL(fileURLWithPath: Self.directory(portal) + "/" + stored[0])) == Data(first))
            let replaced = try await Flow.upload(client, target.recordId, second) { $0.replaceVersion = 1 }
            client.close()
            #expect(replaced.certificate?.versions.map(\.state) == ["replaced", "current"])

            try await portal.restartCertStore(signal: SIGKILL)
            let fresh = portal.client(portal.certificates)
            defer { fresh.close() }
            #expect(try await Flow.download(fresh, target.recordId, version: 1).bytes == first, "the replaced file is kept")
            let current = try await Flow.download(fresh, target.recordId)
            #expect(current.bytes == second && current.header.size == UInt64(second.count))
            #expect(try Self.files(portal).count == 2)
            let row = try await Flow.record(portal, target.recordId, seq: replaced.seq)
            #expect(row.certificateUpdated && row.certType == "external")
        }
    }

    @Test func aRefusedLargeUploadLeavesNoFile() async throws {
        try await Flow.withRecords { portal, rows in
            let target = try Flow.pending(rows)
            let good = try await Self.noisePNG()
            var damaged = good
            damaged[good.count / 2] ^= 0xFF
            var pdf = Array("%PDF-1.7\n1 0 obj garbage\n".utf8)
            pdf += [UInt8](repeating: 0x20, count: 2 * 1024 * 1024) + Array("%%EOF\n".utf8)
            let bad: [(String, [UInt8], String)] = [
                ("a truncated PNG", Array(good.prefix(good.count - 5000)), "ends early"),
                ("a damaged PNG", damaged, "damaged"),
                ("a PDF that is not one", pdf, "PDF"),
            ]
            let client = portal.client(portal.certificates)
            defer { client.close() }
            for (what, bytes, reason) in bad {
                do {
                    _ = try await Flow.upload(client, target.recordId, bytes)
                    Issue.record("\(what) was accepted")
                } catch let error as RPCError {
                    #expect(error.code == .invalidArgument && error.message.hasPrefix("file: ") && error.message.contains(reason),
                            "\(what): \(error)")
                }
                #expect(try Self.files(portal) == [], "\(what) left a file")
            }
            await Flow.expectNoCertificate(client, target.recordId)
        }
    }

    /// 3 MB inflating to 3 GiB: cert-store checks it in a child process with 1 GiB of address
    /// space, so the child, never cert-store, runs out of memory.
    @Test func aPDFDecompressionBombIsRefusedWithoutTakingCertStoresMemory() async throws {
        try await Flow.withRecords { portal, rows in
            let target = try Flow.pending(rows)
            let bomb = try await decompressionBombPDF(megabytes: 3000)
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let error = await expectRPCError(.invalidArgument) { _ = try await Flow.upload(client, target.recordId, bomb) }
            #expect(error?.message.contains("needs more than 1 GB of memory to check") == true, "\(String(describing: error))")
            #expect(try Self.files(portal) == [])
            await Flow.expectNoCertificate(client, target.recordId)
            let peak = try #require(try Self.peakMemory(portal.certificates.process.processIdentifier))
            #expect(peak < 200 << 20, "cert-store's peak resident memory: \(peak >> 20) MiB")
            try await portal.certificates.expectHealthy()
        }
    }

    /// A process's peak resident memory (VmHWM), in bytes.
    static func peakMemory(_ pid: Int32) throws -> Int? {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).dropLast(3)) else { return nil }
        return kilobytes << 10
    }

    @Test func anUploadBrokenOffLeavesNoFile() async throws {
        try await Flow.withRecords { portal, rows in
            let target = try Flow.pending(rows)
            let bytes = try await Self.noisePNG()
            struct BrokenOff: Error {}
            let client = portal.client(portal.certificates)
            defer { client.close() }
            var header = Certportal_Certificates_V1_UploadHeader()
            header.recordId = target.recordId
            let fixed = header
            do {
                _ = try await client.clientStreaming(Certificates.upload, options: Portal.options("admin")) { writer in
                    var first = Certportal_Certificates_V1_UploadChunk()
                    first.part = .header(fixed)
                    try await writer.write(first)
                    var chunk = Certportal_Certificates_V1_UploadChunk()
                    chunk.part = .data(Array(bytes.prefix(2 * 1024 * 1024)))
                    try await writer.write(chunk)
                    throw BrokenOff()
                }
                Issue.record("the upload went through")
            } catch {}
            // cert-store learns of it when the stream breaks; the file goes then.
            var left = try Self.files(portal)
            for _ in 0..<100 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                left = try Self.files(portal)
            }
            #expect(left == [])
        }
    }

    @Test func whatAStoppedProcessLeftIsRemovedAtStart() async throws {
        try await Flow.withRecords { portal, rows in
            let target = try Flow.pending(rows)
            let bytes = try await Self.noisePNG(width: 600)
            let client = portal.client(portal.certificates)
            _ = try await Flow.upload(client, target.recordId, bytes)
            client.close()
            let kept = try Self.files(portal)
            // An upload cut off before its rename, and a file whose version was never committed.
            for name in ["r\(target.recordId)-unfinished.part", "r\(target.recordId)-uncommitted"] {
                #expect(FileManager.default.createFile(atPath: Self.directory(portal) + "/" + name, contents: Data(bytes.prefix(4096))))
            }
            try await portal.restartCertStore(signal: SIGKILL)
            #expect(try Self.files(portal) == kept)
            let fresh = portal.client(portal.certificates)
            defer { fresh.close() }
            #expect(try await Flow.download(fresh, target.recordId).bytes == bytes)
        }
    }
}

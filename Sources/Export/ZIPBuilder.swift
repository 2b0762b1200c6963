internal import Archive
internal import Sodium
internal import Storage
internal import Foundation

/// A ZIP being written, on a thread of its own: libarchive's calls (deflate, CRCs) never run
/// on the cooperative pool. Each call hands back the ZIP bytes it made, for the caller to
/// send before it feeds more, so memory stays bounded by one piece of one entry.
actor ZIPBuilder {
    private let executor: ThreadExecutor
    // Not Sendable: isolated to this actor, so only ever used on `executor`'s thread.
    private let writer: ZIPWriter
    // The open entry's BLAKE2b-256, when asked for.
    private var hasher: GenericHasher?

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    init() throws {
        // The writer first: when it fails no thread has been started.
        writer = try ZIPWriter()
        executor = ThreadExecutor(name: "export.zip")
    }

    isolated deinit {
        executor.stop()
    }

    var bytesWritten: Int64 { writer.bytesWritten }

    /// `digest`: compute the entry's BLAKE2b-256 as its bytes pass (see finishEntry).
    func begin(name: String, modified: Date, size: Int64?, compress: Bool, digest: Bool = false) throws -> [UInt8] {
        try writer.beginEntry(name: name, modified: modified, size: size, compress: compress)
        hasher = digest ? GenericHasher() : nil
        return writer.takeOutput()
    }

    func write(_ bytes: [UInt8]) throws -> [UInt8] {
        try writer.write(bytes)
        hasher?.update(bytes)
        return writer.takeOutput()
    }

    /// The bytes made, and the entry's BLAKE2b-256 in hex when begin asked for it.
    func finishEntry() throws -> (bytes: [UInt8], digest: String?) {
        try writer.finishEntry()
        let digest = hasher.map { $0.finish().map { String(format: "%02x", $0) }.joined() }
        hasher = nil
        return (writer.takeOutput(), digest)
    }

    func finish() throws -> [UInt8] {
        try writer.finish()
        return writer.takeOutput()
    }
}

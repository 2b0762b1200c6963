internal import Archive
internal import Storage
internal import Foundation

/// A ZIP being written, on a thread of its own: libarchive's calls (deflate, CRCs) never run
/// on the cooperative pool. Each call hands back the ZIP bytes it made, for the caller to
/// send before it feeds more, so memory stays bounded by one piece of one entry.
actor ZIPBuilder {
    private let executor: ThreadExecutor
    // Not Sendable: isolated to this actor, so only ever used on `executor`'s thread.
    private let writer: ZIPWriter

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

    func begin(name: String, modified: Date, size: Int64?, compress: Bool) throws -> [UInt8] {
        try writer.beginEntry(name: name, modified: modified, size: size, compress: compress)
        return writer.takeOutput()
    }

    func write(_ bytes: [UInt8]) throws -> [UInt8] {
        try writer.write(bytes)
        return writer.takeOutput()
    }

    func finishEntry() throws -> [UInt8] {
        try writer.finishEntry()
        return writer.takeOutput()
    }

    func finish() throws -> [UInt8] {
        try writer.finish()
        return writer.takeOutput()
    }
}

internal import Foundation

/// A file call that failed: what was done to which file, and the system's reason.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    /// The system's error number (`errno`).
    public var code: Int32
    public var reason: String

    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
        reason = String(cString: strerror(code))
    }

    /// The disk (or the user's quota) is full.
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// A file written or read on a thread of its own, so its blocking calls never hold a thread
/// of the cooperative pool, and made durable as a commit is: the bytes synced (and, for a
/// new name, the directory). Writes may also be queued without waiting for them, for a file
/// written as its bytes arrive.
public final class DurableFile: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is touched only on `thread`, which runs what
    // is handed to it one at a time, in order (and in deinit, when nothing else holds it).
    public let path: String
    private let thread: ThreadExecutor
    private var descriptor: Int32 = -1
    /// With `syncEvery`: bytes written since the last sync, and how many may be.
    private var unsynced = 0
    private var syncEvery: Int?
    /// The first queued write that failed; the rest are dropped, and `finish` throws it.
    private var queuedFailure: FileError?

    public init(path: String) {
        self.path = path
        thread = ThreadExecutor(name: "storage.file")
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        thread.stop()
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws(FileError) -> T) async throws(FileError) -> T {
        do {
            return try await thread.run { try body() }
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError("use", path, errno: EIO)
        }
    }

    /// Empty, for writing (replacing any file at `path`). `syncingEvery`: once that many
    /// bytes are written since the last sync, the write syncs them (the file's thread waits,
    /// not its callers), so that `finish` waits for the last few only. `syncingDirectory`:
    /// the file's name is made durable now, for a file `finish`ed where it is.
    public func create(syncingEvery: Int? = nil, syncingDirectory: Bool = false) async throws(FileError) {
        try await onThread { [self] () throws(FileError) in
            closeDescriptor()
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw FileError("create", path) }
            syncEvery = syncingEvery
            unsynced = 0
            queuedFailure = nil
            if syncingDirectory { try Self.syncDirectory((path as NSString).deletingLastPathComponent) }
        }
    }

    public func openForReading() async throws(FileError) {
        try await onThread { [self] () throws(FileError) in
            closeDescriptor()
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileError("open", path) }
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) async throws(FileError) {
        try await onThread { [self] () throws(FileError) in try writeNow(bytes) }
    }

    /// Appends `bytes` after what is queued already, without waiting for it; a failure is
    /// thrown by `finish`.
    public func queueWrite(_ bytes: [UInt8]) {
        thread.submit { [self] in
            guard queuedFailure == nil else { return }
            do throws(FileError) {
                try writeNow(bytes)
            } catch {
                queuedFailure = error
            }
        }
    }

    private func writeNow(_ bytes: [UInt8]) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("write", path)
            }
            done += count
        }
        unsynced += bytes.count
        if let syncEvery, unsynced >= syncEvery {
            if fdatasync(descriptor) != 0 { throw FileError("sync", path) }
            unsynced = 0
        }
    }

    /// Up to `count` bytes from where the last read ended; empty at the end.
    public func read(upTo count: Int) async throws(FileError) -> [UInt8] {
        try await onThread { [self] () throws(FileError) in
            try readNow(upTo: count) { descriptor, buffer, count, _ in Glibc.read(descriptor, buffer, count) }
        }
    }

    /// Up to `count` bytes from `offset` on; empty at the end.
    public func read(at offset: Int, upTo count: Int) async throws(FileError) -> [UInt8] {
        try await onThread { [self] () throws(FileError) in
            try readNow(upTo: count) { descriptor, buffer, count, done in pread(descriptor, buffer, count, off_t(offset + done)) }
        }
    }

    /// `call(descriptor, buffer, count, done)` reads up to `count` bytes, `done` bytes in.
    private func readNow(upTo count: Int, _ call: (Int32, UnsafeMutableRawPointer, Int, Int) -> Int) throws(FileError) -> [UInt8] {
        let descriptor = descriptor
        var result: Result<Int, FileError> = .success(0)
        let bytes = [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            var done = 0
            // A read may return fewer bytes than asked before the end: read until full or at the end.
            while done < count {
                let got = call(descriptor, buffer.baseAddress! + done, count - done, done)
                if got < 0 && errno == EINTR { continue }
                if got < 0 { result = .failure(FileError("read", path)); break }
                if got == 0 { break }
                done += got
            }
            initialized = done
        }
        _ = try result.get()
        return bytes
    }

    /// On disk for good where it is: every queued write done, the bytes synced, the file closed.
    public func finish() async throws(FileError) {
        try await onThread { [self] () throws(FileError) in try finishNow() }
    }

    private func finishNow() throws(FileError) {
        if let queuedFailure { throw queuedFailure }
        guard descriptor >= 0 else { return }
        if fsync(descriptor) != 0 { throw FileError("sync", path) }
        closeDescriptor()
    }

    /// On disk for good: the bytes synced, the file closed and renamed to `final`, the
    /// directory synced.
    public func finish(renamingTo final: String) async throws(FileError) {
        try await onThread { [self] () throws(FileError) in
            guard descriptor >= 0 else { return }
            try finishNow()
            guard rename(path, final) == 0 else { throw FileError("rename", path) }
            try Self.syncDirectory((final as NSString).deletingLastPathComponent)
        }
    }

    /// Closed and deleted (after what is queued; later queued writes are dropped).
    public func discard() async {
        _ = try? await onThread { [self] () throws(FileError) in
            closeDescriptor()
            queuedFailure = FileError("write", path, errno: ECANCELED)
            unlink(path)
        }
    }

    private func closeDescriptor() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Syncs `directory`, so that a file created, renamed or removed in it stays so.
    public static func syncDirectory(_ directory: String) throws(FileError) {
        let handle = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { throw FileError("open", directory) }
        defer { close(handle) }
        if fsync(handle) != 0 { throw FileError("sync", directory) }
    }
}

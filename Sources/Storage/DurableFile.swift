internal import Foundation
internal import CGNU

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
    /// For a file that bypasses the page cache: the aligned buffer its bytes gather in.
    private var direct: DirectBuffer?

    public init(path: String) {
        self.path = path
        thread = ThreadExecutor(name: "storage.file")
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        thread.stop()
    }

    /// Whether the file being written bypasses the page cache (`create(bypassingCache:)` on
    /// a file system that allows it).
    public var bypassesCache: Bool {
        get async { (try? await onThread { [self] () throws(FileError) in direct != nil }) ?? false }
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
    /// `bypassingCache`: the bytes go from an aligned buffer straight to the disk (`O_DIRECT`)
    /// a megabyte at a time, not copied into the page cache first, for a large file written
    /// once and seldom read soon: copying into fresh cache pages costs more CPU than the rest
    /// of the write. The last part of a megabyte is written through the cache at `finish`.
    /// Such writes need no `syncingEvery`: each has reached the disk when it returns, and
    /// `finish` flushes the disk's own cache. Where the file system cannot, the file is
    /// written as any other.
    public func create(syncingEvery: Int? = nil, syncingDirectory: Bool = false,
                       bypassingCache: Bool = false) async throws(FileError) {
        try await onThread { [self] () throws(FileError) in
            closeDescriptor()
            let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
            descriptor = bypassingCache ? open(path, flags | cgnu_o_direct(), 0o640) : -1
            if descriptor >= 0 {
                direct = DirectBuffer()
            } else {
                descriptor = open(path, flags, 0o640)
            }
            guard descriptor >= 0 else { throw FileError("create", path) }
            syncEvery = syncingEvery
            unsynced = 0
            queuedFailure = nil
            if syncingDirectory { try Self.syncDirectory((path as NSString).deletingLastPathComponent) }
        }
    }

    /// Open for reading. `readingAhead`: the whole file is about to be read, from start to
    /// end; the system starts reading it from the disk now (one that bypassed the page
    /// cache is not in memory), so that the reads find it there.
    public func openForReading(readingAhead: Bool = false) async throws(FileError) {
        try await onThread { [self] () throws(FileError) in
            closeDescriptor()
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileError("open", path) }
            // Only advice: a file system that ignores it reads as it always does.
            if readingAhead { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_WILLNEED) }
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
        try Self.withBytes(of: bytes) { (piece) throws(FileError) in
            var taken = 0
            // Past the cache while the file system takes it; what is left, through it.
            while let direct, taken < piece.count {
                taken += direct.take(UnsafeRawBufferPointer(rebasing: piece[taken...]))
                if direct.isFull { try writeDirect(direct) }
            }
            guard taken < piece.count else { return }
            try writeAll(UnsafeRawBufferPointer(rebasing: piece[taken...]))
            unsynced += piece.count - taken
            if let syncEvery, unsynced >= syncEvery {
                if fdatasync(descriptor) != 0 { throw FileError("sync", path) }
                unsynced = 0
            }
        }
    }

    /// Has the system read the file at `path` into memory in the background (nothing waits
    /// for it): for a file just written past the page cache that is likely to be read soon.
    /// Only advice: a file system that ignores it, or a missing file, changes nothing.
    public func readIntoMemory() {
        thread.submit { [path] in
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return }
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_WILLNEED)
            close(descriptor)
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

    /// `body(bytes' memory)`, keeping its error's type (`withUnsafeBytes` only rethrows).
    private static func withBytes(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FileError) -> Void) throws(FileError) {
        let failure: FileError? = bytes.withUnsafeBytes { memory in
            do throws(FileError) {
                try body(memory)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` where the file's offset is.
    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("write", path)
            }
            done += count
        }
    }

    /// Writes the direct buffer's bytes and empties it. A full buffer goes straight to the
    /// disk; the last, partial one (its length not a multiple of the disk's blocks), or one
    /// the file system refuses to write directly, goes through the page cache, as every
    /// write after it.
    private func writeDirect(_ buffer: DirectBuffer) throws(FileError) {
        var done = 0
        while buffer.isFull {
            let count = Glibc.write(descriptor, buffer.start, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno != EINVAL { throw FileError("write", path) }
            done = max(count, 0)
            break
        }
        if done < buffer.count {
            // Refused (EINVAL), short, or the last part: the rest is not aligned for the disk.
            try stopBypassingCache()
            try writeAll(UnsafeRawBufferPointer(start: buffer.start + done, count: buffer.count - done))
        }
        buffer.empty()
    }

    /// Writes from here on go through the page cache, synced every `syncEvery` bytes.
    private func stopBypassingCache() throws(FileError) {
        direct = nil
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~cgnu_o_direct()) == 0 else { throw FileError("write", path) }
    }

    private func finishNow() throws(FileError) {
        if let queuedFailure { throw queuedFailure }
        guard descriptor >= 0 else { return }
        if let direct, direct.count > 0 { try writeDirect(direct) }
        direct = nil
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
        direct = nil
    }

    /// Syncs `directory`, so that a file created, renamed or removed in it stays so.
    public static func syncDirectory(_ directory: String) throws(FileError) {
        let handle = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { throw FileError("open", directory) }
        defer { close(handle) }
        if fsync(handle) != 0 { throw FileError("sync", directory) }
    }
}

/// The page-aligned megabyte a file written with `O_DIRECT` gathers its bytes in: the disk
/// takes such writes only from aligned memory, in whole blocks.
private final class DirectBuffer {
    static let capacity = 1 << 20
    static let alignment = 4096
    let start: UnsafeMutableRawPointer
    private(set) var count = 0

    init() {
        start = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity, alignment: Self.alignment)
    }

    deinit { start.deallocate() }

    var isFull: Bool { count == Self.capacity }

    /// Copies in as much of `bytes` as fits; returns how much.
    func take(_ bytes: UnsafeRawBufferPointer) -> Int {
        let taken = min(bytes.count, Self.capacity - count)
        if taken > 0 { (start + count).copyMemory(from: bytes.baseAddress!, byteCount: taken) }
        count += taken
        return taken
    }

    func empty() { count = 0 }
}

internal import Synchronization

/// A writer plus a few read-only connections, each on its own thread; in WAL mode the readers
/// run beside the writer and see the last committed state.
public final class DatabasePool: Sendable {
    /// The one connection that writes.
    public let writer: DatabaseQueue
    private let readers: [DatabaseQueue]
    private let idleReaders: Mutex<ReaderSlots>

    /// Opens the writer (creating the file and applying `migrations`), then `readerCount`
    /// read-only connections.
    public static func open(
        path: String,
        options: Database.Options = Database.Options(),
        migrations: [Migration] = [],
        readerCount: Int = 2
    ) async throws -> DatabasePool {
        precondition(readerCount > 0, "a pool needs at least one reader")
        let writer = try await DatabaseQueue.open(
            path: path, options: options, migrations: migrations, threadName: "storage.writer")
        var readerOptions = options
        readerOptions.access = .readOnly
        var readers: [DatabaseQueue] = []
        for index in 0..<readerCount {
            readers.append(try await DatabaseQueue.open(
                path: path, options: readerOptions, threadName: "storage.read.\(index)"))
        }
        return DatabasePool(writer: writer, readers: readers)
    }

    private init(writer: DatabaseQueue, readers: [DatabaseQueue]) {
        self.writer = writer
        self.readers = readers
        self.idleReaders = Mutex(ReaderSlots(idle: Array(readers.indices)))
    }

    /// Runs `body` in an immediate transaction on the writer.
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// Runs `body` on an idle reader, in a deferred transaction (one snapshot), waiting for a
    /// reader to come free when all are busy.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        let index = await acquireReader()
        defer { releaseReader(index) }
        return try await readers[index].read(body)
    }

    private func acquireReader() async -> Int {
        if let index = idleReaders.withLock({ $0.idle.popLast() }) {
            return index
        }
        return await withCheckedContinuation { continuation in
            let index: Int? = idleReaders.withLock { slots in
                if let index = slots.idle.popLast() { return index }
                slots.waiters.append(continuation)
                return nil
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func releaseReader(_ index: Int) {
        let waiter = idleReaders.withLock { slots -> CheckedContinuation<Int, Never>? in
            if slots.waiters.isEmpty {
                slots.idle.append(index)
                return nil
            }
            return slots.waiters.removeFirst()
        }
        // Resumed outside the lock: the waiter hands the reader straight on.
        waiter?.resume(returning: index)
    }
}

/// Which readers are free, and who is waiting for one (first come, first served).
private struct ReaderSlots {
    var idle: [Int]
    var waiters: [CheckedContinuation<Int, Never>] = []
}

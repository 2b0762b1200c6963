/// One connection that all work goes through in turn, on a thread of its own.
///
/// The actor's executor is that thread, so the closures given to ``write(_:)`` and ``read(_:)``
/// run there, never on Swift's cooperative pool:
///
/// ```swift
/// let queue = try await DatabaseQueue.open(path: path, migrations: migrations)
/// let id = try await queue.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [v]).lastInsertRowID }
/// ```
public actor DatabaseQueue {
    private let executor: ThreadExecutor
    private let database: Database

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Opens the database on a new thread named `threadName` and applies `migrations` there.
    public static func open(
        path: String,
        options: Database.Options = Database.Options(),
        migrations: [Migration] = [],
        threadName: String = "storage.writer"
    ) async throws -> DatabaseQueue {
        let executor = ThreadExecutor(name: threadName)
        do {
            // Opening and migrating block on the file, so they too run on the new thread.
            let database = try await executor.run {
                let database = try Database(path: path, options: options)
                if !migrations.isEmpty {
                    try database.migrate(migrations)
                }
                return database
            }
            return DatabaseQueue(executor: executor, database: database)
        } catch {
            executor.stop()
            throw error
        }
    }

    private init(executor: ThreadExecutor, database: sending Database) {
        self.executor = executor
        self.database = database
    }

    // Isolated, so closing the connection (which may checkpoint the WAL) also runs on the thread;
    // the thread ends after that.
    isolated deinit {
        executor.stop()
    }

    /// Runs `body` in an immediate transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try database.transaction(.immediate, body)
    }

    /// Runs `body` outside any transaction, for statements that refuse one (`VACUUM`) or that
    /// manage their own.
    @discardableResult
    public func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try body(database)
    }

    /// Runs `body` in a deferred transaction, so all its queries see one snapshot.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try database.transaction(.deferred, body)
    }
}

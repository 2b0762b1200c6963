internal import CSQLite

/// One SQLite connection, closed when the last reference goes away.
///
/// A connection is not thread-safe (it is opened with `SQLITE_OPEN_NOMUTEX`): use it from one
/// thread or serial executor, normally through a ``DatabaseQueue`` or ``DatabasePool``.
public final class Database {
    /// Whether the connection may write.
    public enum Access: Sendable {
        case readOnly
        /// Read and write, creating the file if it does not exist.
        case readWriteCreate
    }

    /// SQLite's journal mode. WAL lets readers run beside the one writer.
    public enum JournalMode: String, Sendable {
        case wal = "WAL"
        case delete = "DELETE"
    }

    /// How hard SQLite syncs to disk.
    public enum Synchronous: String, Sendable {
        /// A committed transaction survives power loss: WAL is synced on every commit.
        case full = "FULL"
        /// Safe from corruption, but the last commits may be lost on power loss (not on a crash
        /// of the process); for data that can be rebuilt.
        case normal = "NORMAL"
    }

    /// How to open a connection.
    public struct Options: Sendable {
        public var access: Access
        public var journalMode: JournalMode
        public var synchronous: Synchronous
        /// How long a statement waits for another connection's lock before failing with `.busy`.
        public var busyTimeout: Duration
        public var foreignKeys: Bool
        /// When `false`, closing leaves the WAL for the next connection to recover instead of
        /// folding it into the database file: a faster shutdown, and what a crash looks like.
        public var checkpointsOnClose: Bool
        /// Bytes of the file read through a memory map instead of `read` calls (0: none).
        /// Address space only; the pages are the operating system's file cache.
        public var mmapSize: Int = 0
        /// Bytes per page of a database this connection creates (nil: SQLite's 4,096). An
        /// existing file keeps its own: in WAL mode the page size never changes.
        public var pageSize: Int?

        public init(
            access: Access = .readWriteCreate,
            journalMode: JournalMode = .wal,
            synchronous: Synchronous = .full,
            busyTimeout: Duration = .seconds(5),
            foreignKeys: Bool = true,
            checkpointsOnClose: Bool = true
        ) {
            self.access = access
            self.journalMode = journalMode
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.foreignKeys = foreignKeys
            self.checkpointsOnClose = checkpointsOnClose
        }
    }

    let handle: OpaquePointer
    /// The file this connection opened.
    public let path: String
    private var statementCache: [String: Statement] = [:]
    private var savepointDepth = 0

    /// Process-wide settings, made once before the first connection: no memory statistics
    /// (nothing reads them, and keeping them takes a global mutex on every allocation).
    private static let configured: Void = { _ = csqlite_config_memstatus(0) }()

    /// Opens (or, with `.readWriteCreate`, creates) the database at `path` and applies `options`.
    public init(path: String, options: Options = Options()) throws {
        Self.configured
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch options.access {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            try check(code, connection: nil)
            throw StorageError(code: .cantOpen, message: "sqlite3_open_v2 returned no connection")
        }
        // From here on a throw runs deinit, which closes the handle.
        self.handle = handle
        self.path = path
        try check(code, connection: handle)

        try check(sqlite3_busy_timeout(handle, Self.milliseconds(options.busyTimeout)), connection: handle)
        if options.access == .readWriteCreate {
            // Before the journal mode, which writes the first page of a new file.
            if let pageSize = options.pageSize { try execute("PRAGMA page_size = \(pageSize)") }
            // The journal mode is stored in the file; a read-only connection inherits it.
            try execute("PRAGMA journal_mode = \(options.journalMode.rawValue)")
        }
        // temp_store: statement journals (the undo of one statement inside a larger
        // transaction) stay in memory, not in a temporary file written page by page.
        try execute("""
            PRAGMA synchronous = \(options.synchronous.rawValue);
            PRAGMA foreign_keys = \(options.foreignKeys ? "ON" : "OFF");
            PRAGMA temp_store = MEMORY;
            PRAGMA mmap_size = \(options.mmapSize);
            """)
        if !options.checkpointsOnClose {
            try check(csqlite_db_config_flag(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1), connection: handle)
        }
    }

    deinit {
        // Cached statements must be finalized for the close to happen now. close_v2 cannot
        // fail: with statements still alive elsewhere it closes once the last is finalized.
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: Running SQL

    /// Runs one or more `;`-separated statements without bindings, discarding any rows.
    public func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), connection: handle, sql: sql)
    }

    /// What a write changed.
    public struct WriteResult: Sendable, Equatable {
        /// Rows inserted, updated or deleted by the statement.
        public var changes: Int
        /// The rowid of the most recent successful INSERT on this connection.
        public var lastInsertRowID: Int64
    }

    /// Runs one statement to completion with `bindings`, using the statement cache.
    @discardableResult
    public func run(_ sql: String, _ bindings: Bindings = []) throws -> WriteResult {
        try withStatement(sql, bindings) { statement in
            while try statement.step() {}
        }
        return WriteResult(
            changes: Int(sqlite3_changes64(handle)),
            lastInsertRowID: sqlite3_last_insert_rowid(handle))
    }

    /// Runs a query with `bindings` and calls `body` for each row, using the statement cache.
    public func query(_ sql: String, _ bindings: Bindings = [], _ body: (Row) throws -> Void) throws {
        try withStatement(sql, bindings) { statement in
            while try statement.step() {
                try body(statement.row)
            }
        }
    }

    /// Runs a query and returns `transform` of each row.
    public func fetch<T>(_ sql: String, _ bindings: Bindings = [], _ transform: (Row) throws -> T) throws -> [T] {
        var results: [T] = []
        try query(sql, bindings) { results.append(try transform($0)) }
        return results
    }

    /// The first column of the first row, or `nil` when the query returns no rows.
    public func scalar(_ sql: String, _ bindings: Bindings = []) throws -> DatabaseValue? {
        try withStatement(sql, bindings) { statement in
            try statement.step() ? statement.row[0] : nil
        }
    }

    /// At most `maxBytes` of the blob in row `rowID` from `offset` on, read straight out of
    /// the file (a file streamed in chunks: one copy, where a column read copies it whole
    /// twice); empty past its end. Throws when there is no such row.
    public func blobPiece(table: String, column: String, rowID: Int64, offset: Int, maxBytes: Int) throws -> [UInt8] {
        precondition(offset >= 0 && maxBytes >= 0)
        var blob: OpaquePointer?
        let code = sqlite3_blob_open(handle, "main", table, column, rowID, 0, &blob)
        defer { sqlite3_blob_close(blob) }
        try check(code, connection: handle)
        let count = max(0, min(maxBytes, Int(sqlite3_blob_bytes(blob)) - offset))
        guard count > 0 else { return [] }
        var status = SQLITE_OK
        let piece = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            status = sqlite3_blob_read(blob, out.baseAddress, Int32(count), Int32(offset))
            initialized = status == SQLITE_OK ? count : 0
        }
        try check(status, connection: handle)
        return piece
    }

    // MARK: Statements

    /// Prepares a statement that the caller owns; for SQL that runs once.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connection: handle, sql: sql, persistent: false)
    }

    /// The connection's statement for `sql`, prepared on first use and kept for the connection's
    /// life, reset and unbound each time it is handed out. Use it for fixed SQL only (values go
    /// in bindings, never in the text), and don't hold it across other calls with the same SQL.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            if statement.isInUse {
                // The same SQL is stepping further up the stack (a query inside its own row
                // loop); resetting the shared statement would restart that loop.
                return try prepare(sql)
            }
            statement.finishUse()
            return statement
        }
        let statement = try Statement(connection: handle, sql: sql, persistent: true)
        statementCache[sql] = statement
        return statement
    }

    /// The number of statements currently prepared on this connection (cached or not).
    var preparedStatementCount: Int {
        var count = 0
        var statement = sqlite3_next_stmt(handle, nil)
        while let current = statement {
            count += 1
            statement = sqlite3_next_stmt(handle, current)
        }
        return count
    }

    private func withStatement<T>(_ sql: String, _ bindings: Bindings, _ body: (Statement) throws -> T) throws -> T {
        let statement = try cachedStatement(sql)
        statement.isInUse = true
        defer {
            statement.isInUse = false
            statement.finishUse()
        }
        try statement.bind(bindings)
        return try body(statement)
    }

    // MARK: State

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the most recent successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether a transaction is open (SQLite is out of autocommit mode).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The schema version kept in the file header (`PRAGMA user_version`); migrations set it.
    public var userVersion: Int {
        get throws { try scalar("PRAGMA user_version")?.int64.map(Int.init) ?? 0 }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let milliseconds = duration / .milliseconds(1)
        return Int32(min(max(milliseconds, 0), Double(Int32.max)))
    }
}

@available(*, unavailable, message: "a connection belongs to one thread; share a DatabaseQueue or DatabasePool")
extension Database: Sendable {}

// MARK: - Transactions

extension Database {
    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// Takes the write lock at the first write; for reads, a consistent snapshot.
        case deferred = "DEFERRED"
        /// Takes the write lock at once, so a write never fails half-way with `.busy`.
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Inside another transaction it runs in a savepoint instead (and `kind` does not apply), so
    /// a nested failure undoes only its own part when the outer body catches the error.
    @discardableResult
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: (Database) throws -> T) throws -> T {
        if isInTransaction {
            return try savepoint(body)
        }
        try execute("BEGIN \(kind.rawValue)")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            // Some errors (SQLITE_FULL, SQLITE_IOERR, …) already rolled back; and the body's error
            // is the one worth reporting, so a failed ROLLBACK is not.
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    private func savepoint<T>(_ body: (Database) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "storage_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body(self)
            try execute("RELEASE \(name)")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK TO \(name); RELEASE \(name)") }
            throw error
        }
    }
}

internal import CSQLite

/// A prepared SQL statement, finalized when the last reference goes away.
///
/// Like its ``Database`` it belongs to one thread or executor at a time.
public final class Statement {
    let handle: OpaquePointer
    /// The SQL this statement was prepared from; errors carry it.
    public let sql: String
    /// Set while a ``Database`` helper is stepping this cached statement, so that a nested use
    /// of the same SQL gets a fresh statement instead of resetting this one under its caller.
    var isInUse = false

    /// The owning connection, found from the statement so that statements hold no reference
    /// to their ``Database`` (the cache would otherwise make a cycle).
    private var connection: OpaquePointer { sqlite3_db_handle(handle) }

    init(connection: OpaquePointer, sql: String, persistent: Bool) throws {
        var handle: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        // `tail` points into the C string, so it is read while that string is alive (a String
        // passed straight to C gets a temporary copy that is gone when the call returns).
        let (code, rest): (Int32, String) = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(connection, text, -1, flags, &handle, &tail)
            return (code, tail.map { String(cString: $0) } ?? "")
        }
        try check(code, connection: connection, sql: sql)
        guard let handle else {
            throw StorageError(code: .misuse, message: "no SQL statement to prepare", sql: sql)
        }
        // Only the first statement is compiled; silently dropping the rest would lose writes.
        if !rest.allSatisfy(\.isWhitespace) {
            sqlite3_finalize(handle)
            throw StorageError(
                code: .misuse,
                message: "a statement holds one SQL command; use Database.execute for several",
                sql: sql)
        }
        self.handle = handle
        self.sql = sql
    }

    deinit {
        // finalize repeats the last step's error, which has already been thrown to whoever stepped.
        sqlite3_finalize(handle)
    }

    /// The number of parameters (`?`, `?NNN`, `:name`, `@name`, `$name`) in the SQL.
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// Binds a value to the parameter at a 1-based `index`, as SQLite numbers them; `nil` binds NULL.
    public func bind(_ value: (any Bindable)?, at index: Int) throws {
        try bind(value?.databaseValue ?? .null, at: Int32(index))
    }

    /// Binds `bytes` as a blob without copying them (`SQLITE_STATIC`): the memory must stay
    /// valid and unchanged until the statement has stepped and is reset or bound anew, so
    /// step it inside the closure that lent the bytes. An empty buffer binds a zero-length blob.
    public func bindBorrowedBlob(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        let code: Int32
        if let base = bytes.baseAddress, !bytes.isEmpty {
            code = sqlite3_bind_blob64(handle, Int32(index), base, UInt64(bytes.count), nil)
        } else {
            code = sqlite3_bind_zeroblob(handle, Int32(index), 0)
        }
        try check(code, connection: connection, sql: sql)
    }

    /// Binds a value to a named parameter; the name may include its prefix (`:id`) or not (`id`).
    public func bind(_ value: (any Bindable)?, named name: String) throws {
        try bind(value?.databaseValue ?? .null, at: parameterIndex(named: name))
    }

    /// Binds every value in `bindings`.
    public func bind(_ bindings: Bindings) throws {
        switch bindings.values {
        case .positional(let values):
            for (offset, value) in values.enumerated() {
                try bind(value, at: Int32(offset + 1))
            }
        case .named(let values):
            for (name, value) in values {
                try bind(value, at: parameterIndex(named: name))
            }
        }
    }

    /// Runs the statement to its next row: `true` when a row is ready in ``row``, `false` when done.
    @discardableResult
    public func step() throws -> Bool {
        try check(sqlite3_step(handle), connection: connection, sql: sql) == SQLITE_ROW
    }

    /// The current row; valid until the next ``step()`` or ``reset()``.
    public var row: Row { Row(statement: self) }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() throws {
        try check(sqlite3_reset(handle), connection: connection, sql: sql)
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() throws {
        try check(sqlite3_clear_bindings(handle), connection: connection, sql: sql)
    }

    /// Rewinds and unbinds after use, releasing the read snapshot a half-stepped SELECT holds
    /// and the copies of bound text and blobs. `sqlite3_reset` repeats the error of a failed
    /// step, which its caller has already seen, so the codes are deliberately not checked here.
    func finishUse() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func parameterIndex(named name: String) throws -> Int32 {
        let candidates = name.first.map { ":@$".contains($0) } == true
            ? [name] : [":" + name, "@" + name, "$" + name]
        for candidate in candidates {
            let index = sqlite3_bind_parameter_index(handle, candidate)
            if index > 0 { return index }
        }
        throw StorageError(code: .range, message: "no parameter named \(name)", sql: sql)
    }

    private func bind(_ value: DatabaseValue, at index: Int32) throws {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            code = sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            code = sqlite3_bind_double(handle, index, real)
        case .text(var text):
            // An explicit byte count keeps text with embedded NULs whole.
            code = text.withUTF8 { utf8 in
                guard let base = utf8.baseAddress, !utf8.isEmpty else {
                    return sqlite3_bind_text(handle, index, "", 0, transient)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text64(handle, index, $0, UInt64(utf8.count), transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                // A NULL pointer would bind NULL, so an empty blob is bound as a zero-length blob.
                guard let base = raw.baseAddress, !raw.isEmpty else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return sqlite3_bind_blob64(handle, index, base, UInt64(raw.count), transient)
            }
        }
        try check(code, connection: connection, sql: sql)
    }
}

@available(*, unavailable, message: "a statement belongs to the thread of its connection")
extension Statement: Sendable {}

/// `SQLITE_TRANSIENT` (a macro Swift cannot import): SQLite copies bound text and blobs.
/// We copy rather than use `SQLITE_STATIC` because Swift only lends a string's or array's
/// bytes for the duration of a closure, and the statement may step after that closure returns.
private var transient: sqlite3_destructor_type {
    unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The current row of a stepping statement; read columns by 0-based index.
///
/// A row is a view of the statement, not a copy: read what you need inside the closure that
/// received it.
public struct Row {
    let statement: Statement

    private var handle: OpaquePointer { statement.handle }

    /// The number of columns in the result.
    public var count: Int { Int(sqlite3_column_count(handle)) }

    /// The name of the column at `index`, as the query spelled it or its `AS` alias.
    public func columnName(at index: Int) -> String {
        String(cString: sqlite3_column_name(handle, column(index)))
    }

    /// The value at `index` in whichever storage class SQLite holds it.
    public subscript(index: Int) -> DatabaseValue {
        let column = column(index)
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT: return .text(text(column))
        case SQLITE_BLOB: return .blob(blob(column))
        default: return .null
        }
    }

    public func isNull(at index: Int) -> Bool {
        sqlite3_column_type(handle, column(index)) == SQLITE_NULL
    }

    /// The column as an integer (SQLite converts other storage classes), or `nil` for NULL.
    public func int64(at index: Int) -> Int64? {
        isNull(at: index) ? nil : sqlite3_column_int64(handle, column(index))
    }

    public func int(at index: Int) -> Int? {
        int64(at: index).map { Int(truncatingIfNeeded: $0) }
    }

    /// The column as a boolean (non-zero is `true`), or `nil` for NULL.
    public func bool(at index: Int) -> Bool? {
        int64(at: index).map { $0 != 0 }
    }

    public func double(at index: Int) -> Double? {
        isNull(at: index) ? nil : sqlite3_column_double(handle, column(index))
    }

    /// The column as UTF-8 text, or `nil` for NULL.
    public func string(at index: Int) -> String? {
        isNull(at: index) ? nil : text(column(index))
    }

    /// The column's UTF-8 as `string(at:)` reads it (empty for NULL), lent to `body`
    /// without making a String when it is ASCII.
    public func withText<Result>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let column = column(index)
        guard let pointer = sqlite3_column_text(handle, column) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let bytes = UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
        if !bytes.contains(where: { $0 >= 0x80 }) { return try body(bytes) }
        // Not ASCII: as `text` decodes it (bad UTF-8 repaired the same way).
        var string = String(decoding: bytes, as: UTF8.self)
        return try string.withUTF8(body)
    }

    /// The column's bytes, or `nil` for NULL.
    public func blob(at index: Int) -> [UInt8]? {
        isNull(at: index) ? nil : blob(column(index))
    }

    private func column(_ index: Int) -> Int32 {
        // SQLite leaves out-of-range columns undefined, so catch them here.
        precondition(index >= 0 && index < count, "column \(index) out of range 0..<\(count) in \(statement.sql)")
        return Int32(index)
    }

    // The pointer must be fetched before the byte count (SQLite's documented order).
    private func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private func blob(_ column: Int32) -> [UInt8] {
        // A zero-length blob comes back as a NULL pointer.
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

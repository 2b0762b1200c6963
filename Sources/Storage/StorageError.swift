internal import CSQLite

/// An SQLite call that failed: its result code, SQLite's own message, and the SQL it was running.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// An SQLite result code; a struct rather than an enum so codes SQLite adds later still fit.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The extended result code (connections are opened with extended codes on).
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The primary code, e.g. `.constraint` for `SQLITE_CONSTRAINT_UNIQUE`.
        public var primary: Code { Code(rawValue: rawValue & 0xFF) }

        public static let error = Code(rawValue: SQLITE_ERROR)
        public static let busy = Code(rawValue: SQLITE_BUSY)
        public static let locked = Code(rawValue: SQLITE_LOCKED)
        public static let readOnly = Code(rawValue: SQLITE_READONLY)
        public static let ioError = Code(rawValue: SQLITE_IOERR)
        public static let corrupt = Code(rawValue: SQLITE_CORRUPT)
        public static let full = Code(rawValue: SQLITE_FULL)
        public static let cantOpen = Code(rawValue: SQLITE_CANTOPEN)
        public static let constraint = Code(rawValue: SQLITE_CONSTRAINT)
        public static let misuse = Code(rawValue: SQLITE_MISUSE)
        public static let range = Code(rawValue: SQLITE_RANGE)

        public var description: String {
            "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))"
        }
    }

    /// SQLite's result code.
    public var code: Code
    /// The message from `sqlite3_errmsg` at the time of failure.
    public var message: String
    /// The SQL that failed, when the failure came from running SQL.
    public var sql: String?

    public init(code: Code, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " — in SQL: \(sql)" }
        return text
    }
}

/// The one place every SQLite return code goes through: success codes pass, the rest throw.
///
/// - Parameter connection: the handle whose `sqlite3_errmsg` explains the failure; `nil` only
///   when opening could not even allocate one.
@discardableResult
func check(_ code: Int32, connection: OpaquePointer?, sql: String? = nil) throws(StorageError) -> Int32 {
    switch code {
    case SQLITE_OK, SQLITE_ROW, SQLITE_DONE:
        return code
    default:
        let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            ?? String(cString: sqlite3_errstr(code))
        throw StorageError(code: StorageError.Code(rawValue: code), message: message, sql: sql)
    }
}

import Foundation
import Storage
import Testing

@Suite("Database: opening, values, errors")
struct DatabaseTests {
    @Test func openCreatesTheFile() throws {
        let scratch = try Scratch()
        let path = scratch.path()
        #expect(!scratch.exists(path))
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(v)")
        #expect(scratch.exists(path))
        #expect(db.path == path)
    }

    @Test func readOnlyOpenDoesNotCreate() throws {
        let scratch = try Scratch()
        let error = #expect(throws: StorageError.self) {
            try Database(path: scratch.path(), options: Database.Options(access: .readOnly))
        }
        #expect(error?.code.primary == .cantOpen)
        #expect(!scratch.exists(scratch.path()))
    }

    @Test func readOnlyConnectionRefusesWrites() throws {
        let scratch = try Scratch()
        let writer = try Database(path: scratch.path())
        try writer.execute("CREATE TABLE t(v)")
        let reader = try Database(path: scratch.path(), options: Database.Options(access: .readOnly))
        let error = #expect(throws: StorageError.self) { try reader.run("INSERT INTO t(v) VALUES (1)") }
        #expect(error?.code.primary == .readOnly)
    }

    @Test func pageSizeAppliesToANewFileOnly() throws {
        let scratch = try Scratch()
        var options = Database.Options()
        options.pageSize = 1 << 16
        let created = try Database(path: scratch.path("new.sqlite"), options: options)
        try created.execute("CREATE TABLE t(v)")
        #expect(try created.scalar("PRAGMA page_size") == .integer(65536))
        #expect(try created.scalar("PRAGMA journal_mode") == .text("wal"))

        let existing = try Database(path: scratch.path("old.sqlite"))
        try existing.execute("CREATE TABLE t(v)")
        let reopened = try Database(path: scratch.path("old.sqlite"), options: options)
        try reopened.run("INSERT INTO t(v) VALUES (1)")
        #expect(try reopened.scalar("PRAGMA page_size") == .integer(4096))
        #expect(try reopened.scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test func blobPiecesReadABlobInOrderAndRefuseAMissingRow() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE files(name TEXT, bytes BLOB)")
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let rowID = try db.run("INSERT INTO files(name, bytes) VALUES ('a', ?)", [bytes]).lastInsertRowID
        let pieces = try stride(from: 0, to: 12_288, by: 4096).map { offset in
            try db.blobPiece(table: "files", column: "bytes", rowID: rowID, offset: offset, maxBytes: 4096)
        }
        #expect(pieces.map(\.count) == [4096, 4096, 1808])
        #expect(Array(pieces.joined()) == bytes)
        #expect(try db.blobPiece(table: "files", column: "bytes", rowID: rowID, offset: 10_000, maxBytes: 4096).isEmpty)
        try db.run("INSERT INTO files(name, bytes) VALUES ('empty', ?)", [[UInt8]()])
        #expect(try db.blobPiece(table: "files", column: "bytes", rowID: rowID + 1, offset: 0, maxBytes: 4096).isEmpty)
        #expect(throws: StorageError.self) {
            try db.blobPiece(table: "files", column: "bytes", rowID: rowID + 2, offset: 0, maxBytes: 4096)
        }
    }

    @Test func walIsTheDefaultJournalMode() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
        try db.execute("CREATE TABLE t(v)")
        #expect(scratch.exists(scratch.path() + "-wal"))
        // A second connection sees the mode too: WAL is recorded in the file.
        let reader = try Database(path: scratch.path(), options: Database.Options(access: .readOnly))
        #expect(try reader.scalar("PRAGMA journal_mode") == .text("wal"))
    }

    @Test func synchronousIsFullByDefaultAndNormalOnRequest() throws {
        let scratch = try Scratch()
        let full = try Database(path: scratch.path())
        #expect(try full.scalar("PRAGMA synchronous") == .integer(2))  // FULL
        let normal = try Database(path: scratch.path(), options: Database.Options(synchronous: .normal))
        #expect(try normal.scalar("PRAGMA synchronous") == .integer(1))  // NORMAL
    }

    @Test func busyTimeoutIsApplied() throws {
        let scratch = try Scratch()
        #expect(try Database(path: scratch.path()).scalar("PRAGMA busy_timeout") == .integer(5000))
        let custom = try Database(path: scratch.path(), options: Database.Options(busyTimeout: .milliseconds(1234)))
        #expect(try custom.scalar("PRAGMA busy_timeout") == .integer(1234))
    }

    @Test func foreignKeysAreEnforced() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        #expect(try db.scalar("PRAGMA foreign_keys") == .integer(1))
        try db.execute("""
            CREATE TABLE organisation(id INTEGER PRIMARY KEY);
            CREATE TABLE booker(id INTEGER PRIMARY KEY, organisation INTEGER NOT NULL REFERENCES organisation(id));
            """)
        let error = #expect(throws: StorageError.self) {
            try db.run("INSERT INTO booker(organisation) VALUES (?)", [42])
        }
        #expect(error?.code.primary == .constraint)
    }

    static let values: [DatabaseValue] = [
        .null,
        .integer(0), .integer(.max), .integer(.min),
        .real(3.25), .real(-1.5e300),
        .text(""), .text("Zoë"), .text("Łukasz"), .text("李雷"), .text("محمد"), .text("nul\u{0}inside"),
        .blob([]), .blob([0, 1, 0, 255, 0]),
    ]

    @Test(arguments: values)
    func valueRoundTrips(_ value: DatabaseValue) throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v)")  // no declared type, so SQLite keeps each value's class
        try db.run("INSERT INTO t(v) VALUES (?)", [value])
        #expect(try db.scalar("SELECT v FROM t") == value)
        let storageClass = switch value {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
        #expect(try db.scalar("SELECT typeof(v) FROM t") == .text(storageClass))
    }

    @Test func textIsStoredAsUTF8() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE person(name TEXT)")
        let names = ["Zoë", "Łukasz", "李雷", "محمد"]
        for name in names {
            try db.run("INSERT INTO person(name) VALUES (?)", [name])
        }
        // Characters and bytes as SQLite counts them: the text arrived as UTF-8, whole.
        let lengths = try db.fetch("SELECT length(name), length(CAST(name AS BLOB)) FROM person ORDER BY rowid") {
            [$0.int(at: 0), $0.int(at: 1)]
        }
        #expect(lengths == [[3, 4], [6, 7], [2, 6], [4, 8]])
        // A literal in the SQL text matches a bound value.
        #expect(try db.scalar("SELECT count(*) FROM person WHERE name = '李雷'") == .integer(1))
        #expect(try db.fetch("SELECT name FROM person ORDER BY rowid") { $0.string(at: 0) } == names)
    }

    @Test func typedGettersReadEveryTypeAndNull() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(i INTEGER, n INTEGER, d REAL, s TEXT, b BLOB, f INTEGER)")
        try db.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
            [Int64(-7), 42, 2.5, "Zoë", [UInt8]([0, 0, 9]), true])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [nil, nil, nil, nil, nil, nil])

        var rows = 0
        try db.query("SELECT i, n, d, s, b, f FROM t ORDER BY rowid") { row in
            rows += 1
            #expect(row.count == 6)
            #expect(row.columnName(at: 3) == "s")
            if rows == 1 {
                #expect(row.int64(at: 0) == -7)
                #expect(row.int(at: 1) == 42)
                #expect(row.double(at: 2) == 2.5)
                #expect(row.string(at: 3) == "Zoë")
                #expect(row.blob(at: 4) == [0, 0, 9])
                #expect(row.bool(at: 5) == true)
                #expect(!row.isNull(at: 0))
            } else {
                for index in 0..<6 { #expect(row.isNull(at: index)) }
                #expect(row.int64(at: 0) == nil)
                #expect(row.int(at: 1) == nil)
                #expect(row.double(at: 2) == nil)
                #expect(row.string(at: 3) == nil)
                #expect(row.blob(at: 4) == nil)
                #expect(row.bool(at: 5) == nil)
                #expect(row[0] == .null)
            }
        }
        #expect(rows == 2)
    }

    @Test func statementBindsByIndexAndByName() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE person(name TEXT, age INTEGER, active INTEGER)")

        let insert = try db.prepare("INSERT INTO person VALUES (:name, @age, $active)")
        #expect(insert.parameterCount == 3)
        try insert.bind("Łukasz", named: ":name")
        try insert.bind(41, named: "age")  // prefix left out
        try insert.bind(false, named: "$active")
        #expect(try insert.step() == false)
        try insert.reset()
        try insert.bind("محمد", at: 1)
        try insert.bind(nil, at: 2)
        try insert.bind(true, at: 3)
        try insert.step()

        try db.run("INSERT INTO person VALUES (:name, :age, :active)", [":name": "李雷", "age": 30, "active": nil])

        let people = try db.fetch("SELECT name, age, active FROM person ORDER BY rowid") { row in
            "\(row.string(at: 0) ?? "-")/\(row.int(at: 1).map(String.init) ?? "-")/\(row.bool(at: 2).map(String.init) ?? "-")"
        }
        #expect(people == ["Łukasz/41/false", "محمد/-/true", "李雷/30/-"])

        let error = #expect(throws: StorageError.self) { try insert.bind(1, named: "missing") }
        #expect(error?.code == .range)
    }

    @Test func runReportsChangesAndRowID() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v INTEGER)")
        let first = try db.run("INSERT INTO t(v) VALUES (?)", [10])
        #expect(first.changes == 1 && first.lastInsertRowID == 1)
        #expect(try db.run("INSERT INTO t(v) VALUES (?)", [20]).lastInsertRowID == 2)
        #expect(try db.run("UPDATE t SET v = v + 1").changes == 2)
        #expect(try db.run("DELETE FROM t WHERE v = ?", [11]).changes == 1)
        #expect(try db.scalar("SELECT v FROM t") == .integer(21))
        #expect(try db.scalar("SELECT v FROM t WHERE v > 100") == nil)
    }

    @Test func syntaxErrorCarriesTheSQLAndSQLitesMessage() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())

        let executed = #expect(throws: StorageError.self) { try db.execute("SELEC 1") }
        #expect(executed?.code == .error)
        #expect(executed?.sql == "SELEC 1")
        #expect(executed?.message == "near \"SELEC\": syntax error")
        #expect(executed?.description.contains("SELEC 1") == true)
        #expect(executed?.description.contains("near \"SELEC\": syntax error") == true)

        let prepared = #expect(throws: StorageError.self) { try db.run("INSERT INTO nowhere VALUES (?)", [1]) }
        #expect(prepared?.description.contains("INSERT INTO nowhere VALUES (?)") == true)
        #expect(prepared?.description.contains("no such table: nowhere") == true)
    }

    @Test func oneStatementAtATimeOutsideExecute() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(2))
        // run would otherwise silently drop the second INSERT.
        let error = #expect(throws: StorageError.self) {
            try db.run("INSERT INTO t VALUES (3); INSERT INTO t VALUES (4)")
        }
        #expect(error?.code == .misuse)
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(2))
    }
}

import Storage
import Testing

@Suite("Transactions")
struct TransactionTests {
    struct Boom: Error {}

    private func open(_ scratch: Scratch) throws -> Database {
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v INTEGER)")
        return db
    }

    private func values(_ db: Database) throws -> [Int] {
        try db.fetch("SELECT v FROM t ORDER BY rowid") { $0.int(at: 0) ?? -1 }
    }

    @Test func commitsWhenTheBodyReturns() throws {
        let scratch = try Scratch()
        let db = try open(scratch)
        let inserted = try db.transaction(.immediate) { db in
            try db.run("INSERT INTO t(v) VALUES (1)")
            try db.run("INSERT INTO t(v) VALUES (2)")
            #expect(db.isInTransaction)
            return db.lastInsertRowID
        }
        #expect(inserted == 2)
        #expect(!db.isInTransaction)
        // Another connection sees only committed data.
        #expect(try values(Database(path: scratch.path())) == [1, 2])
    }

    @Test func rollsBackWhenTheBodyThrows() throws {
        let scratch = try Scratch()
        let db = try open(scratch)
        try db.run("INSERT INTO t(v) VALUES (0)")
        #expect(throws: Boom.self) {
            try db.transaction { db in
                try db.run("INSERT INTO t(v) VALUES (1)")
                throw Boom()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try values(db) == [0])
    }

    @Test func immediateTakesTheWriteLockAtOnce() throws {
        let scratch = try Scratch()
        let db = try open(scratch)
        let other = try Database(path: scratch.path(), options: Database.Options(busyTimeout: .zero))
        try db.transaction(.immediate) { _ in
            // No write yet, but the lock is already held.
            let error = #expect(throws: StorageError.self) { try other.execute("BEGIN IMMEDIATE") }
            #expect(error?.code.primary == .busy)
        }
        try db.transaction(.deferred) { _ in
            try other.execute("BEGIN IMMEDIATE; ROLLBACK")
        }
    }

    @Test func nestedTransactionsUseSavepoints() throws {
        let scratch = try Scratch()
        let db = try open(scratch)
        try db.transaction { db in
            try db.run("INSERT INTO t(v) VALUES (1)")
            do {
                try db.transaction { db in
                    try db.run("INSERT INTO t(v) VALUES (2)")
                    throw Boom()
                }
            } catch is Boom {}
            try db.transaction { db in
                try db.run("INSERT INTO t(v) VALUES (3)")
            }
            #expect(db.isInTransaction)
        }
        #expect(try values(db) == [1, 3])
    }
}

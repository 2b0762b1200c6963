@testable import Storage
import Testing

@Suite("Statement cache")
struct StatementCacheTests {
    @Test func hotQueriesArePreparedOnce() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v INTEGER)")
        #expect(db.preparedStatementCount == 0)

        for value in 0..<100 {
            try db.run("INSERT INTO t(v) VALUES (?)", [value])
        }
        #expect(db.preparedStatementCount == 1)
        for _ in 0..<10 {
            #expect(try db.scalar("SELECT count(*) FROM t") == .integer(100))
        }
        #expect(db.preparedStatementCount == 2)

        let cached = try db.cachedStatement("SELECT count(*) FROM t")
        #expect(try cached === db.cachedStatement("SELECT count(*) FROM t"))
        #expect(try db.prepare("SELECT 1") !== db.prepare("SELECT 1"))
    }

    @Test func cachedStatementComesBackResetAndUnbound() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3)")
        let sql = "SELECT ?1, v FROM t ORDER BY v"
        let first = try db.cachedStatement(sql)
        try first.bind("left over", at: 1)
        try first.step()  // left mid-way

        let again = try db.cachedStatement(sql)
        #expect(try again.step())
        #expect(again.row[0] == .null)
        #expect(again.row[1] == .integer(1))
    }

    struct Runaway: Error {}

    @Test func theSameQueryInsideItsOwnRowLoopLeavesTheOuterLoopAlone() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        try db.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3)")
        let sql = "SELECT v FROM t ORDER BY v"
        var outer: [Int] = []
        try db.query(sql) { row in
            // Sharing one statement would restart the outer loop forever.
            guard outer.count < 10 else { throw Runaway() }
            outer.append(row.int(at: 0) ?? -1)
            #expect(try db.fetch(sql) { $0.int(at: 0) } == [1, 2, 3])
        }
        #expect(outer == [1, 2, 3])
    }
}

import Foundation
import Storage
import Testing

@Suite("Queues, pools and durability")
struct DatabaseQueueTests {
    static let schema = [Migration(version: 1, sql: "CREATE TABLE t(v INTEGER)")]

    @Test func workRunsOnTheDedicatedThreadsNotTheCooperativePool() async throws {
        let scratch = try Scratch()
        let pool = try await DatabasePool.open(path: scratch.path(), migrations: Self.schema, readerCount: 2)
        let writer = try await pool.write { _ in Thread.current.name }
        #expect(writer == "storage.writer")
        let unwrapped = try await pool.writer.writeWithoutTransaction { _ in Thread.current.name }
        #expect(unwrapped == "storage.writer")
        let reader = try await pool.read { _ in Thread.current.name }
        #expect(reader?.hasPrefix("storage.read.") == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func readersRunBesideAnOpenWrite() async throws {
        let scratch = try Scratch()
        let pool = try await DatabasePool.open(path: scratch.path(), migrations: Self.schema)
        let (inside, entered) = AsyncStream.makeStream(of: Void.self)
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }

        let writing = Task {
            try await pool.write { db in
                try db.run("INSERT INTO t(v) VALUES (1)")
                entered.yield()
                release.wait()  // holds the write transaction open, blocking only the writer's thread
            }
        }
        for await _ in inside { break }

        // Were reads served by the writer, these would wait for it and the time limit would fail the test.
        async let first = pool.read { db in try db.scalar("SELECT count(*) FROM t") }
        async let second = pool.read { db in try db.scalar("SELECT count(*) FROM t") }
        #expect(try await [first, second] == [.integer(0), .integer(0)])

        release.signal()
        try await writing.value
        #expect(try await pool.read { db in try db.scalar("SELECT count(*) FROM t") } == .integer(1))
    }

    @Test(.timeLimit(.minutes(1)))
    func readersRunBesideEachOtherOnTheirOwnThreads() async throws {
        let scratch = try Scratch()
        let pool = try await DatabasePool.open(path: scratch.path(), migrations: Self.schema, readerCount: 2)
        let (inside, entered) = AsyncStream.makeStream(of: String?.self)
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }

        let blocked = Task {
            try await pool.read { _ in
                entered.yield(Thread.current.name)
                release.wait()
            }
        }
        var names = inside.makeAsyncIterator()
        let blockedThread = await names.next()
        let freeThread = try await pool.read { _ in Thread.current.name }
        #expect(freeThread != nil)
        #expect(freeThread != blockedThread)
        release.signal()
        try await blocked.value
    }

    @Test(.timeLimit(.minutes(1)))
    func moreReadsThanReadersWaitTheirTurn() async throws {
        let scratch = try Scratch()
        let pool = try await DatabasePool.open(path: scratch.path(), migrations: Self.schema, readerCount: 2)
        try await pool.write { db in
            for value in 1...10 { try db.run("INSERT INTO t(v) VALUES (?)", [value]) }
        }
        let sums = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<20 {
                group.addTask { try await pool.read { db in try db.scalar("SELECT sum(v) FROM t")?.int64 } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sums == Array(repeating: 55, count: 20))
    }

    @Test func writeRollsBackWhenTheClosureThrows() async throws {
        struct Boom: Error {}
        let scratch = try Scratch()
        let queue = try await DatabaseQueue.open(path: scratch.path(), migrations: Self.schema)
        await #expect(throws: Boom.self) {
            try await queue.write { db in
                try db.run("INSERT INTO t(v) VALUES (1)")
                throw Boom()
            }
        }
        #expect(try await queue.read { db in try db.scalar("SELECT count(*) FROM t") } == .integer(0))
    }

    @Test(.timeLimit(.minutes(1)))
    func releasingTheQueueClosesItsConnection() async throws {
        let scratch = try Scratch()
        let path = scratch.path()
        var queue: DatabaseQueue? = try await DatabaseQueue.open(path: path, migrations: Self.schema)
        try await queue?.write { db in try db.run("INSERT INTO t(v) VALUES (1)") }
        #expect(scratch.exists(path + "-wal"))
        queue = nil
        // The last connection to close checkpoints the WAL and deletes it.
        while scratch.exists(path + "-wal") {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try Database(path: path).scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test func aCommittedWriteSurvivesInTheWALAlone() throws {
        let scratch = try Scratch()
        let path = scratch.path()
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(v TEXT)")
        }  // closed with a checkpoint: the table is in the main file
        do {
            let db = try Database(path: path, options: Database.Options(synchronous: .full, checkpointsOnClose: false))
            #expect(try db.scalar("PRAGMA synchronous") == .integer(2))
            try db.transaction { db in try db.run("INSERT INTO t(v) VALUES (?)", ["Zoë"]) }
        }  // closed without a checkpoint, as a crash would leave it

        #expect(scratch.exists(path + "-wal"))
        // The row is not in the main file: a copy of it without its WAL has none.
        let mainOnly = scratch.path("main-only.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: mainOnly)
        #expect(try Database(path: mainOnly).scalar("SELECT count(*) FROM t") == .integer(0))

        // Without the shared-memory index, the next connection must recover from the WAL itself.
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let reopened = try Database(path: path)
        #expect(try reopened.scalar("SELECT v FROM t") == .text("Zoë"))
    }
}

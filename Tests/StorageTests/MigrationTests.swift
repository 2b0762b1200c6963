import Storage
import Testing

@Suite("Migrations")
struct MigrationTests {
    static let v1 = Migration(version: 1, sql: "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    static let v2 = Migration(version: 2, sql: """
        ALTER TABLE person ADD COLUMN email TEXT;
        INSERT INTO person(name, email) VALUES ('Zoë', 'zoe@example.org');
        """)
    static let v3 = Migration(version: 3, sql: "CREATE INDEX person_email ON person(email)")

    @Test func applyInOrderOnceAndOnlyTheNewOnesLater() throws {
        let scratch = try Scratch()
        do {
            let db = try Database(path: scratch.path())
            #expect(try db.userVersion == 0)
            try db.migrate([Self.v1, Self.v2])  // v2 needs the table v1 makes
            #expect(try db.userVersion == 2)
            #expect(try db.scalar("SELECT count(*) FROM person") == .integer(1))
        }
        do {
            // v1 would fail ("table person already exists") and v2 would add a row if re-run.
            let db = try Database(path: scratch.path())
            try db.migrate([Self.v1, Self.v2])
            #expect(try db.scalar("SELECT count(*) FROM person") == .integer(1))
            try db.migrate([Self.v1, Self.v2, Self.v3])
            #expect(try db.userVersion == 3)
            #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'person_email'") == .integer(1))
        }
    }

    @Test func aFailingMigrationRollsBackOnlyItself() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        let broken = Migration(version: 2, sql: "CREATE TABLE half(x); SELEC oops")
        #expect(throws: StorageError.self) { try db.migrate([Self.v1, broken]) }
        #expect(try db.userVersion == 1)
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'person'") == .integer(1))
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'half'") == .integer(0))
    }

    @Test func refusesADatabaseNewerThanTheCode() async throws {
        let scratch = try Scratch()
        do {
            let db = try Database(path: scratch.path())
            try db.migrate([Self.v1, Self.v2, Self.v3])
        }
        let error = #expect(throws: MigrationError.self) {
            try Database(path: scratch.path()).migrate([Self.v1, Self.v2])
        }
        #expect(error == .databaseIsNewer(databaseVersion: 3, latestKnownVersion: 2))
        #expect(error?.description.contains("schema version 3, newer than the latest this build knows (2)") == true)

        // Start-up through a queue refuses it the same way.
        await #expect(throws: MigrationError.databaseIsNewer(databaseVersion: 3, latestKnownVersion: 2)) {
            _ = try await DatabaseQueue.open(path: scratch.path(), migrations: [Self.v1, Self.v2])
        }
        #expect(try Database(path: scratch.path()).userVersion == 3)
    }

    @Test func versionsMustIncrease() throws {
        let scratch = try Scratch()
        let db = try Database(path: scratch.path())
        #expect(throws: MigrationError.versionOutOfOrder(version: 1, previous: 2)) {
            try db.migrate([Self.v2, Self.v1])
        }
        #expect(throws: MigrationError.versionOutOfOrder(version: 0, previous: 0)) {
            try db.migrate([Migration(version: 0, sql: "SELECT 1")])
        }
        #expect(try db.userVersion == 0)
    }
}

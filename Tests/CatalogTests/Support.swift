import Foundation
import Testing
import Synchronization
import Catalog
import ChangeFeed
import Messages
import RPC
import Storage

/// A catalog store on a real SQLite file in a temporary directory of its own, removed
/// when the test lets go of it. Hashing is minimal and the clock is the test's.
final class CatalogFixture: Sendable {
    let directory: URL
    let store: CatalogStore
    let clock: TestClock

    private init(directory: URL, store: CatalogStore, clock: TestClock) {
        self.directory = directory
        self.store = store
        self.clock = clock
    }

    static func open(_ adjust: (inout AccountPolicy) -> Void = { _ in }) async throws -> CatalogFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("CatalogTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clock = TestClock()
        var policy = AccountPolicy()
        policy.strength = .minimal
        policy.now = { clock.now }
        adjust(&policy)
        let store = try await CatalogStore.open(path: directory.appendingPathComponent("catalog.sqlite").path, policy: policy)
        return CatalogFixture(directory: directory, store: store, clock: clock)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Imports `text` in chunks of `chunkSize` bytes, so fields, multi-byte characters and
    /// CRLFs are split across chunk boundaries.
    func importFile(_ text: String, chunkSize: Int = 7) async throws -> ImportResult {
        try await store.importRecords(Chunks.of(text, size: chunkSize))
    }

    /// Feed events after `seq`, oldest first.
    func events(after seq: UInt64 = 0) async throws -> [FeedEvent] {
        try await store.pool.read { db in try FeedLog.events(after: seq, limit: 10_000, in: db) }
    }

    /// The record snapshots of the events after `seq`, oldest first.
    func recordEvents(after seq: UInt64 = 0) async throws -> [CatalogRecord] {
        try await events(after: seq).compactMap { event in
            if case .record(let record)? = event.change { record } else { nil }
        }
    }

    /// The record (attendee) id of a contact on a schedule.
    func recordID(contact: String, schedule: String) async throws -> UInt64 {
        let id = try await store.pool.read { db in
            try db.scalar("SELECT id FROM attendees WHERE contact_id = ? AND schedule_id = ?", [contact, schedule])?.int64
        }
        return UInt64(try #require(id, "no record of \(contact) on \(schedule)"))
    }

    /// How much is stored: compared before and after an import that must write nothing.
    /// Read on the writer's own connection, so a transaction left open (and what it
    /// wrote) would show.
    func written() async throws -> Written {
        try await store.pool.writer.writeWithoutTransaction { db in
            func count(_ table: String) throws -> Int {
                Int(try db.scalar("SELECT count(*) FROM \(table)")?.int64 ?? -1)
            }
            return Written(
                attendees: try count("attendees"), organisations: try count("organisations"),
                bookers: try count("bookers"), contacts: try count("contacts"), courses: try count("courses"),
                schedules: try count("schedules"), bookings: try count("bookings"),
                events: try count("feed_events"), head: try FeedLog.head(in: db),
                inTransaction: db.isInTransaction)
        }
    }
}

/// Row counts of every catalog table and the feed's head.
struct Written: Equatable, Sendable {
    var attendees, organisations, bookers, contacts, courses, schedules, bookings, events: Int
    var head: UInt64
    var inTransaction: Bool

    static let nothing = Written(attendees: 0, organisations: 0, bookers: 0, contacts: 0, courses: 0,
                                 schedules: 0, bookings: 0, events: 0, head: 0, inTransaction: false)
}

/// Import files as they arrive over the wire: in chunks.
enum Chunks {
    static func split(_ text: String, size: Int) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    static func of(_ text: String, size: Int) -> AsyncStream<[UInt8]> {
        let chunks = split(text, size: size)
        return AsyncStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }

    /// The first `count` chunks of `text`, then `error`: a client killed mid-upload.
    static func broken(_ text: String, size: Int, after count: Int, error: any Error) -> AsyncThrowingStream<[UInt8], any Error> {
        let chunks = split(text, size: size).prefix(count)
        return AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish(throwing: error)
        }
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_780_000_000))

    var now: Date { current.withLock { $0 } }

    func advance(seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// One row of a records-import file in the standard column order, with defaults for
/// every column so that a test names only what it is about.
struct ImportLine {
    static let header = "booking_id,organisation_id,organisation_name,booker_id,booker_name,booker_email,"
        + "contact_id,contact_name,contact_email,course_id,course_name,validity_months,"
        + "schedule_id,schedule_start,schedule_end,result,outstanding"

    var booking = "BK-1"
    var organisation = "ORG-A", organisationName = "Acme"
    var booker = "BKR-1", bookerName = "Bea Booker", bookerEmail = "bea@example.com"
    var contact = "C-1", contactName = "Zoë Example", contactEmail = ""
    var course = "CRS-FA", courseName = "First Aid at Work", validity = "36"
    var schedule = "SCH-1", start = "2026-03-02T09:00", end = "2026-03-04T17:00"
    var result = "", outstanding = ""

    var fields: [String] {
        [booking, organisation, organisationName, booker, bookerName, bookerEmail, contact, contactName, contactEmail,
         course, courseName, validity, schedule, start, end, result, outstanding]
    }

    var csv: String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }

    /// A whole file: the header, then `lines` (line 2 onwards), LF-terminated.
    static func file(_ lines: [ImportLine]) -> String {
        ([header] + lines.map(\.csv)).joined(separator: "\n") + "\n"
    }
}

/// Runs `body`, expecting an `RPCError` with `code` (and `fragment` in its message).
@discardableResult
func expectRPCError<T>(_ code: RPCStatusCode, mentioning fragment: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () async throws -> T) async -> RPCError? {
    do {
        let value = try await body()
        Issue.record("expected \(code); got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let fragment {
            #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected RPCError \(code); got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension ImportResult {
    /// The problems as (line, column) pairs, in order.
    var problemPlaces: [ProblemPlace] {
        problems.map { ProblemPlace(line: Int($0.line), column: $0.column) }
    }
}

struct ProblemPlace: Equatable, CustomStringConvertible {
    var line: Int
    var column: String
    var description: String { "line \(line) \(column)" }
}

import Testing
import Messages
@testable import ChangeFeed

@Suite struct FeedLogTests {
    /// The record event joined from pieces decodes as the same event built field by field.
    @Test func aRecordEventJoinedFromPiecesDecodesAsTheWholeEvent() throws {
        var record = Certportal_Feed_V1_CatalogRecord()
        record.bookingId = "BK-1"
        record.contactName = "Zoë 李雷 محمد"
        record.validityMonths = 36
        record.scheduleEnd = "2026-03-02T17:00"
        record.outstanding = "125.50"
        for (id, url, atMs) in [(UInt64(7), "https://example.com/book?c=1", Int64(1_780_000_000_000)),
                                (UInt64.max, "", Int64(-1)), (0, "x", 0)] {
            let joined = FeedLog.recordEvent(atMs: atMs, recordID: id, bookingURL: url, fields: record.serializedBytes())
            var whole = record
            whole.recordId = id
            whole.bookingUrl = url
            var expected = FeedEvent()
            expected.atMs = atMs
            expected.change = .record(whole)
            let decoded = try joined.withUnsafeBytes { try FeedEvent(serializedBytes: $0) }
            #expect(decoded == expected)
        }
    }

    @Test func varintsMatchTheGeneratedEncoder() throws {
        for value in [UInt64(0), 1, 127, 128, 300, 1 << 35, UInt64.max] {
            var bytes: [UInt8] = []
            ProtoWire.varint(value, into: &bytes)
            var message = Certportal_Feed_V1_HeadResponse()
            message.headSeq = value
            var expected = message.serializedBytes()
            if value != 0 { expected.removeFirst() } else { expected = [0] }   // drop the key
            #expect(bytes == expected)
            #expect(ProtoWire.varintLength(value) == bytes.count)
        }
    }
}

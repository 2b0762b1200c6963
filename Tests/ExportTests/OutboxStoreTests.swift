@testable import Export
import Foundation
import Mail
import Messages
import Testing

/// The outbox's table rules on a real export.sqlite: a key makes a request once, a claim
/// takes a message once, a restart retries only what was in delivery.
@Suite struct OutboxStoreTests {
    static func withStore(_ body: (ExportStore, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try await ExportStore.open(path: directory + "/export.sqlite"), directory + "/export.sqlite")
    }

    static func draft(_ key: String?, record: UInt64 = 7) -> OutboxDraft {
        OutboxDraft(key: key, kind: "certificate", recordID: record, version: 1,
                    recipients: [Recipient(address: "zoe@example.com", name: "Zoë Brown"), Recipient(address: "b@example.com", name: "")],
                    subject: "Your certificate", body: "Dear Zoë", requestedBy: "admin@example.com")
    }

    @Test func aKeyMakesTheSameRequestOnce() async throws {
        try await Self.withStore { store, _ in
            let first = try await store.enqueue([Self.draft("k1"), Self.draft(nil), Self.draft(nil)])
            let again = try await store.enqueue([Self.draft("k1", record: 8)])
            #expect(again.map(\.id) == [first[0].id])
            #expect(again[0].recordID == 7)
            #expect(Set(first.map(\.id)).count == 3)
            #expect(first[0].recipients == Self.draft(nil).recipients)
            #expect(first.allSatisfy { $0.state == "queued" && $0.attempts == 0 })
        }
    }

    @Test func aMessageIsClaimedOnceAndARestartRetriesOnlyWhatWasInDelivery() async throws {
        try await Self.withStore { store, path in
            let rows = try await store.enqueue([Self.draft(nil), Self.draft(nil), Self.draft(nil)], now: 1000)
            let claimed = try await store.claimDue(now: 2000, limit: 2)
            #expect(claimed.map(\.id) == Array(rows.prefix(2).map(\.id)))
            #expect(claimed.allSatisfy { $0.state == "sending" && $0.attempts == 1 })
            #expect(try await store.claimDue(now: 2000, limit: 2).map(\.id) == [rows[2].id])
            #expect(try await store.claimDue(now: 2000, limit: 2).isEmpty)
            try await store.markSent(rows[0].id, reply: "250 OK")
            try await store.markFailedAttempt(rows[1].id, error: "451 later", reply: "451", retryAt: 5000)
            #expect(try await store.nextDue() == 5000)
            #expect(try await store.claimDue(now: 4999, limit: 5).isEmpty)

            // The third was in delivery when the process stopped.
            let reopened = try await ExportStore.open(path: path)
            try await reopened.recoverOutbox()
            let page = try await reopened.outboxPage(state: "", ids: [], recordID: 0, beforeID: 0, limit: 10)
            #expect(page.rows.map(\.state) == ["queued", "queued", "sent"])
            #expect(page.rows[0].lastError.contains("stopped during delivery"))
            #expect(page.counts == ["queued": 2, "sent": 1])
            #expect(try await reopened.retry(rows[0].id).map { [$0.row.state, "\($0.changed)"] } == ["sent", "false"])
            #expect(try await reopened.cancel(rows[1].id).map { [$0.row.state, "\($0.changed)"] } == ["cancelled", "true"])
            #expect(try await reopened.retry(999) == nil)
        }
    }

    @Test func retriesWaitLongerEachTimeUpToTheLongestAndThenGiveUp() throws {
        var settings = MailSettings(from: try MailAddress("c@example.com"))
        settings.firstRetry = .seconds(30)
        settings.longestRetry = .seconds(300)
        settings.maxAttempts = 6
        #expect((1...6).map { settings.retryDelay(after: $0) } == [.seconds(30), .seconds(60), .seconds(120), .seconds(240), .seconds(300), nil])
    }

    @Test func aReminderGoesUnderTheSmallestThresholdCrossed() {
        let thresholds = [90, 30, 7]
        #expect(ExpiryReminders.threshold(daysLeft: 91, thresholds: thresholds) == nil)
        #expect(ExpiryReminders.threshold(daysLeft: 90, thresholds: thresholds) == 90)
        #expect(ExpiryReminders.threshold(daysLeft: 31, thresholds: thresholds) == 90)
        #expect(ExpiryReminders.threshold(daysLeft: 20, thresholds: thresholds) == 30)
        #expect(ExpiryReminders.threshold(daysLeft: 0, thresholds: thresholds) == 7)
    }

    @Test func templatesAreCheckedAndFilledWithoutBreakingTheSubject() throws {
        var template = Certportal_Export_V1_EmailTemplate()
        template.name = "certificate"
        template.subject = "For {contact_name}"
        template.body = "Dear {recipient_name}"
        #expect(try EmailTemplates.check(template) == .certificate)
        let filled = EmailTemplates.fill(template, ["contact_name": "Zoë\r\nBcc: x@example.com", "recipient_name": "Zoë"])
        #expect(filled.subject == "For Zoë  Bcc: x@example.com")
        #expect(filled.body == "Dear Zoë")
        template.name = "newsletter"
        #expect(throws: (any Error).self) { try EmailTemplates.check(template) }
        template.name = "reminder"
        #expect(throws: (any Error).self) { try EmailTemplates.check(template) }   // {contact_name} is not a reminder's
    }
}

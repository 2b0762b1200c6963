internal import RPC
internal import Mail
internal import Storage
internal import Messages
internal import Records
internal import Foundation

/// The daily expiry reminders: each booker gets one digest of their delegates' certificates
/// that expire within one of the thresholds (90, 30 and 7 days by default), with a link to
/// re-book each. A certificate is named once per threshold and expiry date — the digest and
/// the note of what it named are written in one transaction — so a run repeated the same
/// day, or after a restart, sends nothing twice; a renewed certificate (a new expiry date)
/// is reminded of afresh.
struct ExpiryReminders: Sendable {
    typealias Stats = Certportal_Stats_V1_Stats

    let store: ExportStore
    let stats: RPCClient
    let settings: MailSettings
    let clock: StatusClock
    let outbox: MailOutbox

    /// A certificate to remind of, under the threshold it has crossed.
    struct Due: Sendable {
        var row: Certportal_Stats_V1_RecordRow
        var expiry: CalendarDate
        var daysLeft: Int
        var threshold: Int
    }

    /// The smallest threshold not below `daysLeft`: 20 days left is the 30-day reminder.
    static func threshold(daysLeft: Int, thresholds: [Int]) -> Int? {
        thresholds.sorted().first { daysLeft <= $0 }
    }

    func run(today: CalendarDate) async throws -> Certportal_Export_V1_RemindersReport {
        var report = Certportal_Export_V1_RemindersReport()
        report.today = today.description
        let thresholds = settings.reminderDays.filter { $0 >= 0 }
        guard let longest = thresholds.max() else { return report }
        var page = Certportal_Stats_V1_ListRecordsRequest()
        var filter = Certportal_Stats_V1_RecordFilter()
        filter.dateField = "expiry"
        filter.from = today.description
        filter.to = today.adding(days: longest).description
        page.filter = filter
        page.sort = "expiry_date"
        page.pageSize = ExportService.pageSize
        var byBooker: [String: [Due]] = [:]
        var bookers: [String] = []
        while true {
            let answer = try await stats.unary(Stats.listRecords, page, options: settings.backgroundOptions())
            for row in answer.records where row.status == RecordStatus.certified.rawValue || row.status == RecordStatus.expiring.rawValue {
                guard let expiry = CalendarDate(iso: row.expiryDate) else { continue }
                let daysLeft = expiry.dayNumber - today.dayNumber
                guard let threshold = Self.threshold(daysLeft: daysLeft, thresholds: thresholds) else { continue }
                // No address, or one that could not be sent to (as imported): counted, not queued.
                guard (try? MailAddress(row.bookerEmail.trimmingCharacters(in: .whitespaces))) != nil else { report.noAddress += 1; continue }
                let key = row.bookerId.isEmpty ? row.bookerEmail.lowercased() : row.bookerId
                if byBooker[key] == nil { bookers.append(key) }
                byBooker[key, default: []].append(Due(row: row, expiry: expiry, daysLeft: daysLeft, threshold: threshold))
            }
            guard !answer.nextCursor.isEmpty, !answer.records.isEmpty else { break }
            page.cursor = answer.nextCursor
        }
        let template = try await store.queue.read { db in try EmailTemplates.get(.reminder, db) }
        let digests = bookers.map { byBooker[$0]! }
        let waiting = outbox.waitingReason
        let day = today.description
        let (queued, named, already) = try await store.queue.write { db in
            var queued = 0, named = 0, already = 0
            for dues in digests {
                let fresh = try dues.filter { due in
                    let sent = try db.scalar("SELECT 1 FROM reminders_sent WHERE record_id = ? AND expiry = ? AND threshold_days = ?",
                                             [Int64(due.row.recordId), due.expiry.description, due.threshold]) != nil
                    if sent { already += 1 }
                    return !sent
                }
                guard let first = fresh.first else { continue }
                let (subject, body) = EmailTemplates.fill(template, values(fresh))
                let recipient = Recipient(address: first.row.bookerEmail.trimmingCharacters(in: .whitespaces),
                                          name: CertificateMail.oneLine(first.row.bookerName))
                let draft = OutboxDraft(key: nil, kind: "reminder", recipients: [recipient], subject: subject, body: body,
                                        requestedBy: "reminders (\(day))", waiting: waiting)
                let message = try ExportStore.enqueue([draft], now: ExportStore.nowMs, db)[0]
                for due in fresh {
                    try db.run("INSERT INTO reminders_sent (record_id, expiry, threshold_days, outbox_id) VALUES (?, ?, ?, ?)",
                               [Int64(due.row.recordId), due.expiry.description, due.threshold, message.id])
                }
                queued += 1
                named += fresh.count
            }
            try db.run("""
                INSERT INTO reminder_runs (day, at_ms, digests, certificates) VALUES (?, ?, ?, ?)
                ON CONFLICT(day) DO UPDATE SET at_ms = excluded.at_ms, digests = digests + excluded.digests,
                    certificates = certificates + excluded.certificates
                """, [day, ExportStore.nowMs, queued, named])
            return (queued, named, already)
        }
        if queued > 0 { outbox.doorbell.ring() }
        report.digests = UInt32(queued)
        report.certificates = UInt32(named)
        report.alreadySent = UInt32(already)
        return report
    }

    /// The digest's placeholders: one block per certificate, soonest first.
    func values(_ dues: [Due]) -> [String: String] {
        let lines = dues.sorted { ($0.expiry, $0.row.contactName) < ($1.expiry, $1.row.contactName) }.map { due in
            let row = due.row
            let when = due.daysLeft == 0 ? "today" : due.daysLeft == 1 ? "tomorrow" : "in \(due.daysLeft) days"
            var block = "- \(CertificateMail.oneLine(row.contactName)) (\(CertificateMail.oneLine(row.organisationName))): "
                + "\(CertificateMail.oneLine(row.courseName)), expires \(due.expiry.readable) (\(when))"
            block += "\n  Re-book: \(row.bookingUrl.isEmpty ? settings.portalURL : row.bookingUrl)"
            return block
        }
        return ["booker_name": dues.first?.row.bookerName ?? "", "count": "\(dues.count)", "certificates": lines.joined(separator: "\n"),
                "portal_url": settings.portalURL, "provider_name": settings.providerName]
    }

    /// A sample digest, for previews.
    func sampleValues() -> [String: String] {
        let lines = """
            - Zoë Example (Example Ltd): First Aid at Work, expires 2 March 2027 (in 30 days)
              Re-book: \(settings.portalURL)
            - 李雷 (Example Ltd): Fire Safety, expires 9 March 2027 (in 37 days)
              Re-book: \(settings.portalURL)
            """
        return ["booker_name": "Łukasz Booker", "count": "2", "certificates": lines, "portal_url": settings.portalURL,
                "provider_name": settings.providerName]
    }

    /// Runs once a day at the set hour (provider's time zone), and at start-up when today's
    /// run is due and has not happened (the process was down at that hour).
    func runDaily() async {
        guard let hour = settings.reminderHour else { return }
        while !Task.isCancelled {
            let today = clock.today
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = clock.timeZone
            let currentHour = calendar.component(.hour, from: Date())
            do {
                let done = try await store.queue.read { db in
                    try db.scalar("SELECT 1 FROM reminder_runs WHERE day = ?", [today.description]) != nil
                }
                if !done && (currentHour >= hour || clock.pinnedToday != nil) {
                    let report = try await run(today: today)
                    outbox.log("reminders for \(today): \(report.digests) digests naming \(report.certificates) certificates")
                }
            } catch {
                outbox.log("reminders: \(error)")
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }
}

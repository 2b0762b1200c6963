internal import RPC
internal import Mail
internal import Messages
internal import Synchronization
internal import Foundation

/// Delivers the outbox: takes the messages that are due (marking each `sending` first),
/// attaches the certificate fetched from cert-store, hands it to the SMTP server, and notes
/// how it went — `sent`, or queued again with a longer wait while the server is down or
/// refuses for now, or `failed` when it refuses for good. Also takes cert-store's "Upload
/// Cert & Send Email" requests into the outbox.
///
/// Never twice: a message is marked `sending` before it is handed over and `sent` right
/// after the server's answer; only a process stopped between the two (the server may or may
/// not have it) tries it again, with the same Message-ID.
final class MailOutbox: Sendable {
    typealias Certificates = Certportal_Certificates_V1_Certificates

    let store: ExportStore
    let mailer: CertificateMail
    let smtp: SMTPClient?
    let settings: MailSettings
    let doorbell = Doorbell()

    init(store: ExportStore, stats: RPCClient, certificates: RPCClient, settings: MailSettings) {
        self.store = store
        mailer = CertificateMail(stats: stats, certificates: certificates, settings: settings)
        smtp = settings.smtp.map { SMTPClient($0, threads: max(1, settings.parallel)) }
        self.settings = settings
    }

    var certificates: RPCClient { mailer.certificates }

    /// Why queued messages wait, when they cannot be tried at all.
    var waitingReason: String { smtp == nil ? "waiting: no SMTP server is configured (export-service --smtp)" : "" }

    /// Runs until the task is cancelled.
    func run() async {
        do { try await store.recoverOutbox() } catch { log("cannot recover the outbox: \(error)") }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.deliverForever() }
            group.addTask { await self.takeRequestsForever() }
        }
    }

    // MARK: Delivery

    private func deliverForever() async {
        guard smtp != nil else { return }
        while !Task.isCancelled {
            do {
                let due = try await store.claimDue(now: ExportStore.nowMs, limit: settings.parallel)
                if due.isEmpty {
                    let next = try await store.nextDue()
                    let wait = next.map { Duration.milliseconds(max(1, $0 - ExportStore.nowMs)) } ?? .seconds(60)
                    await doorbell.wait(timeout: min(wait, .seconds(60)))
                    continue
                }
                await withTaskGroup(of: Void.self) { group in
                    for message in due { group.addTask { await self.deliver(message) } }
                }
            } catch {
                log("outbox: \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One attempt at one message.
    func deliver(_ row: OutboxRow) async {
        guard let smtp else { return }
        do {
            let message = try await compose(row)
            let reply = try await smtp.send(message)
            try await store.markSent(row.id, reply: reply)
        } catch let error as MailError {
            await failed(row, error.description, reply: error.responseCode.map(String.init) ?? "", transient: error.kind == .transient)
        } catch let error as RPCError {
            // cert-store away for a while: try again; the file gone: give up.
            let transient = [.unavailable, .deadlineExceeded, .resourceExhausted, .aborted, .internalError].contains(error.code)
            await failed(row, "the certificate could not be attached: \(error.message)", reply: "", transient: transient)
        } catch {
            await failed(row, "\(error)", reply: "", transient: true)
        }
    }

    private func failed(_ row: OutboxRow, _ reason: String, reply: String, transient: Bool) async {
        var retryAt: Int64?
        var reason = reason
        if transient {
            if let delay = settings.retryDelay(after: row.attempts) {
                retryAt = ExportStore.nowMs + Int64(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
            } else {
                reason = "gave up after \(row.attempts) attempts: \(reason)"
            }
        }
        do {
            try await store.markFailedAttempt(row.id, error: reason, reply: reply, retryAt: retryAt)
        } catch {
            log("outbox: cannot note message \(row.id)'s attempt: \(error)")
        }
    }

    /// The e-mail as sent: the stored subject and text, and the certificate version attached.
    func compose(_ row: OutboxRow) async throws -> MailMessage {
        var message = MailMessage(from: settings.from, to: try row.recipients.map { try MailAddress($0.address, name: $0.name) },
                                  subject: row.subject, text: row.body, messageID: row.messageID(domain: settings.domain))
        message.date = Date(timeIntervalSince1970: Double(row.createdAtMs) / 1000)
        if row.kind == "certificate" {
            message.attachments = [try await attachment(row.recordID, version: row.version)]
        }
        return message
    }

    /// One version's file from cert-store.
    func attachment(_ recordID: UInt64, version: UInt32) async throws -> MailAttachment {
        var download = Certportal_Certificates_V1_DownloadRequest()
        download.recordId = recordID
        download.version = version
        return try await certificates.serverStreaming(Certificates.download, download, options: settings.backgroundOptions(timeout: .seconds(120))) { chunks in
            var header: Certportal_Certificates_V1_FileHeader?
            var bytes: [UInt8] = []
            for try await chunk in chunks {
                switch chunk.part {
                case .header(let given)?:
                    header = given
                    bytes.reserveCapacity(Int(clamping: given.size))
                case .data(let data)?:
                    bytes += data
                case nil:
                    break
                }
            }
            guard let header else { throw RPCError(.internalError, "cert-store sent no file for record \(recordID)") }
            return MailAttachment(fileName: header.fileName, mediaType: header.mediaType, bytes: bytes)
        }
    }

    // MARK: "Upload Cert & Send Email"

    private func takeRequestsForever() async {
        while !Task.isCancelled {
            do {
                while try await takeRequests() > 0 {}
            } catch let error as RPCError where error.code == .unavailable {
                // cert-store is away: its requests wait there.
            } catch {
                log("outbox: cannot take cert-store's e-mail requests: \(error)")
            }
            try? await Task.sleep(for: settings.intakeInterval)
        }
    }

    /// Queues the requests waiting in cert-store, then tells cert-store they are taken; how
    /// many there were. Stopped in between, the next run finds them again and their keys
    /// match what is queued.
    func takeRequests() async throws -> Int {
        let options = settings.backgroundOptions()
        var ask = Certportal_Certificates_V1_PendingEmailRequestsRequest()
        ask.limit = 100
        let pending = try await certificates.unary(Certificates.pendingEmailRequests, ask, options: options).requests
        guard !pending.isEmpty else { return 0 }
        let template = try await store.queue.read { db in try EmailTemplates.get(.certificate, db) }
        var drafts: [OutboxDraft] = []
        for request in pending {
            let requestedBy = "upload by \(request.requestedBy)"
            let key = "upload:\(request.id)"
            let outcome: CertificateMail.Outcome
            do {
                outcome = try await mailer.draft(recordID: request.recordId, version: request.version,
                                                 audience: try MailAudience.parse(request.to), template: template,
                                                 requestedBy: requestedBy, key: key, waiting: waitingReason)
            } catch let error as RPCError where error.code == .invalidArgument {
                outcome = .skipped(error.message)
            }
            switch outcome {
            case .draft(let draft):
                drafts.append(draft)
            case .skipped(let reason):
                // Kept, failed, so an admin sees why the upload's e-mail did not go.
                drafts.append(OutboxDraft(key: key, kind: "certificate", recordID: request.recordId, version: request.version,
                                          recipients: [], subject: "(not sent)", body: "", requestedBy: requestedBy, refusal: reason))
            }
        }
        _ = try await store.enqueue(drafts)
        doorbell.ring()
        var handOver = Certportal_Certificates_V1_HandOverEmailRequestsRequest()
        handOver.ids = pending.map(\.id)
        _ = try await certificates.unary(Certificates.handOverEmailRequests, handOver, options: options)
        return pending.count
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("export-service: \(message)\n".utf8))
    }
}

/// Wakes a waiting task early: rung when new work arrives, or when the wait runs out.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else { state.rung = true; return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung (at once if it was rung since the last wait) or after `timeout`.
    func wait(timeout: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.ring()
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.rung { state.rung = false; return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
        state.withLock { $0.rung = false }
    }
}

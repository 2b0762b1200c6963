public import Storage
public import ChangeFeed
internal import Messages
internal import RPC
internal import Sodium
internal import Foundation

/// One version of a record's certificate as stored.
struct StoredVersion: Sendable, Equatable {
    var number: Int
    /// `internal` or `external`.
    var kind: String
    var mediaType: String
    var size: Int
    var digest: String
    /// ISO date; nil: never expires.
    var expiry: String?
    /// `active`, `replaced` or `revoked`.
    var state: String
    var createdAtMs: Int64
    var createdBy: String
    var fileName: String
    var replaces: Int?
    var revokedReason: String?
}

/// A record's certificate: its number, verification code, share flag and every version.
struct StoredCertificate: Sendable, Equatable {
    var recordID: UInt64
    var number: String
    var code: String
    var shared: Bool
    var versions: [StoredVersion]

    /// The newest version neither replaced nor revoked.
    var current: StoredVersion? { versions.filter { $0.state == "active" }.max { $0.number < $1.number } }

    /// What stats-service's read model learns after each write.
    var feedState: Certportal_Feed_V1_CertificateState {
        var state = Certportal_Feed_V1_CertificateState()
        state.recordId = recordID
        state.shared = shared
        state.updated = versions.count > 1
        if let current {
            state.hasCurrent = true
            state.expiryDate = current.expiry ?? ""
            state.certType = current.kind
            state.currentVersion = UInt32(current.number)
        }
        return state
    }

    /// The answer for a caller: admins see every version and the verification code;
    /// bookers and org reps only the current version.
    func message(forAdmin admin: Bool, publicURL: String) -> Certportal_Certificates_V1_Certificate {
        var message = Certportal_Certificates_V1_Certificate()
        message.recordId = recordID
        message.certificateNumber = number
        message.shared = shared
        let current = self.current
        message.currentVersion = UInt32(current?.number ?? 0)
        if admin { message.verificationCode = code }
        let shown = admin ? versions : versions.filter { $0.number == current?.number }
        message.versions = shown.map { version in
            var out = Certportal_Certificates_V1_Version()
            out.number = UInt32(version.number)
            out.kind = version.kind
            out.mediaType = version.mediaType
            out.size = UInt64(version.size)
            out.digest = version.digest
            out.expiryDate = version.expiry ?? ""
            out.state = version.state == "active" ? (version.number == current?.number ? "current" : "superseded") : version.state
            out.createdAtMs = version.createdAtMs
            out.createdBy = version.createdBy
            out.fileName = version.fileName
            out.replaces = UInt32(version.replaces ?? 0)
            out.revokedReason = version.revokedReason ?? ""
            return out
        }
        return message
    }
}

/// A new version's file and what is known of it.
struct NewVersion: Sendable {
    var bytes: [UInt8]
    var kind: String
    var mediaType: String
    var expiry: String?
    var fileName: String
    var replaces: Int?
    var originalName: String
    /// The bytes' BLAKE2b-256 when already computed (as an upload arrives); else computed here.
    var digest: [UInt8]?
}

/// cert-store's data in one SQLite database with synchronous=FULL: an acknowledged write
/// is on disk before the answer leaves. Every write appends the record's new
/// CertificateState to the feed in the same transaction and wakes the followers after it.
public final class CertificateStore: Sendable {
    public let pool: DatabasePool
    public let notifier: FeedNotifier

    public static func open(path: String) async throws -> CertificateStore {
        var options = Database.Options(synchronous: .full)
        // Files (megabytes each) are read mapped, not one page per read call.
        options.mmapSize = 1 << 30
        // And written in 64 kB pages: a 10 MB file is 160 WAL frames, not 2,560 (two write
        // calls each).
        options.pageSize = 1 << 16
        let pool = try await DatabasePool.open(path: path, options: options, migrations: CertStoreSchema.migrations, readerCount: 2)
        try await pool.write { db in try Templates.seedStandard(db) }
        let head = try await pool.read { db in try FeedLog.head(in: db) }
        return CertificateStore(pool: pool, notifier: FeedNotifier(head: head))
    }

    private init(pool: DatabasePool, notifier: FeedNotifier) {
        self.pool = pool
        self.notifier = notifier
    }

    /// Runs `body` in a write transaction, then wakes the feed's followers; returns the
    /// body's result and the feed's head after it.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> (T, UInt64) {
        let (result, head) = try await pool.write { db in (try body(db), try FeedLog.head(in: db)) }
        notifier.publish(head)
        return (result, head)
    }

    /// Files from this size on are committed without the automatic checkpoint.
    static let largeFileBytes = 1 << 20

    /// `write` for a transaction that adds a large file. The commit is durable once the WAL
    /// is synced; folding the file's megabytes of WAL into the database file (the automatic
    /// checkpoint a commit runs) is left to a passive checkpoint of its own, after the answer.
    func writeLarge<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> (T, UInt64) {
        let (result, head) = try await pool.writer.writeWithoutTransaction { db in
            let checkpointPages = try db.scalar("PRAGMA wal_autocheckpoint")?.int64 ?? 1000
            try db.execute("PRAGMA wal_autocheckpoint = 0")
            defer { try? db.execute("PRAGMA wal_autocheckpoint = \(checkpointPages)") }
            return try db.transaction(.immediate) { db in (try body(db), try FeedLog.head(in: db)) }
        }
        notifier.publish(head)
        // Readers go on reading the WAL meanwhile (a passive checkpoint waits for no one).
        let writer = pool.writer
        Task { try? await writer.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(PASSIVE)") } }
        return (result, head)
    }

    static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    // MARK: Reading

    func certificate(_ recordID: UInt64) async throws -> StoredCertificate? {
        try await pool.read { db in try Self.certificate(recordID, db) }
    }

    static func certificate(_ recordID: UInt64, _ db: Database) throws -> StoredCertificate? {
        let id = Int64(clamping: recordID)
        guard var certificate = try db.fetch("SELECT number, code, shared FROM certificates WHERE record_id = ?", [id], { row in
            StoredCertificate(recordID: recordID, number: row.string(at: 0) ?? "", code: row.string(at: 1) ?? "",
                              shared: row.bool(at: 2) ?? false, versions: [])
        }).first else { return nil }
        certificate.versions = try db.fetch("""
            SELECT number, kind, media_type, size, digest, expiry, state, created_at_ms, created_by, file_name, replaces, revoked_reason
            FROM versions WHERE record_id = ? ORDER BY number
            """, [id]) { row in
            StoredVersion(number: row.int(at: 0) ?? 0, kind: row.string(at: 1) ?? "", mediaType: row.string(at: 2) ?? "",
                          size: row.int(at: 3) ?? 0, digest: row.string(at: 4) ?? "", expiry: row.string(at: 5),
                          state: row.string(at: 6) ?? "", createdAtMs: row.int64(at: 7) ?? 0, createdBy: row.string(at: 8) ?? "",
                          fileName: row.string(at: 9) ?? "", replaces: row.int(at: 10), revokedReason: row.string(at: 11))
        }
        return certificate
    }

    func certificate(code: String) async throws -> StoredCertificate? {
        try await pool.read { db in
            guard let id = try db.scalar("SELECT record_id FROM certificates WHERE code = ?", [code])?.int64 else { return nil }
            return try Self.certificate(UInt64(id), db)
        }
    }

    /// A version's file; nil when the record or version does not exist.
    func file(_ recordID: UInt64, version: Int) async throws -> [UInt8]? {
        try await pool.read { db in
            try db.scalar("SELECT bytes FROM files WHERE record_id = ? AND version = ?", [Int64(clamping: recordID), version])?.blob
        }
    }

    /// Where a version's file is and its size (nil: no such version). Files are never
    /// changed once written, so its pieces may be read one at a time, each in a read of
    /// its own (`filePiece`), while the first ones are already on their way.
    func fileLocation(_ recordID: UInt64, version: Int) async throws -> (rowID: Int64, size: Int)? {
        try await pool.read { db in
            try db.fetch("SELECT rowid, length(bytes) FROM files WHERE record_id = ? AND version = ?",
                         [Int64(clamping: recordID), version]) { row in (row.int64(at: 0) ?? 0, row.int(at: 1) ?? 0) }.first
        }
    }

    /// Up to `maxBytes` of the file at `rowID` (from `fileLocation`), from `offset` on.
    func filePiece(_ rowID: Int64, offset: Int, maxBytes: Int) async throws -> [UInt8] {
        try await pool.read { db in
            try db.blobPiece(table: "files", column: "bytes", rowID: rowID, offset: offset, maxBytes: maxBytes)
        }
    }

    func audit(_ recordID: UInt64) async throws -> [Certportal_Certificates_V1_AuditEntry] {
        try await pool.read { db in
            try db.fetch("SELECT at_ms, actor, action, version, detail FROM audit WHERE record_id = ? ORDER BY id DESC",
                         [Int64(clamping: recordID)]) { row in
                var entry = Certportal_Certificates_V1_AuditEntry()
                entry.atMs = row.int64(at: 0) ?? 0
                entry.actor = row.string(at: 1) ?? ""
                entry.action = row.string(at: 2) ?? ""
                entry.version = UInt32(row.int(at: 3) ?? 0)
                entry.detail = row.string(at: 4) ?? ""
                return entry
            }
        }
    }

    // MARK: Writing

    static func audit(_ recordID: UInt64, _ actor: String, _ action: String, version: Int, detail: String = "", _ db: Database) throws {
        _ = try db.run("INSERT INTO audit(record_id, at_ms, actor, action, version, detail) VALUES (?, ?, ?, ?, ?, ?)",
                       [Int64(clamping: recordID), nowMs, actor, action, version, detail])
    }

    /// The record's certificate, made (number and code) when it has none yet.
    static func ensureCertificate(_ recordID: UInt64, year: Int, _ db: Database) throws -> StoredCertificate {
        if let existing = try certificate(recordID, db) { return existing }
        let serial = (try db.scalar("SELECT coalesce(max(serial), 0) + 1 FROM certificates")?.int64) ?? 1
        let digits = String(serial)
        let number = "CP-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        // 20 random bytes: unguessable, and short enough for a QR code and a URL.
        let code = Sodium.randomToken(bytes: 20)
        _ = try db.run("INSERT INTO certificates(record_id, serial, number, code, shared, created_at_ms) VALUES (?, ?, ?, ?, 0, ?)",
                       [Int64(clamping: recordID), serial, number, code, nowMs])
        return StoredCertificate(recordID: recordID, number: number, code: code, shared: false, versions: [])
    }

    /// Adds a version (issued or uploaded; replacing one when `replaces` is set), with its
    /// file, its audit, the share flag and any e-mail asked for, in one transaction.
    /// `confirm` runs last in it, on the writer's thread: when it throws, nothing is written.
    func addVersion(_ recordID: UInt64, _ version: NewVersion, year: Int, actor: String, share: Bool?,
                    emailTo: String?, confirm: (@Sendable () throws -> Void)? = nil) async throws -> (StoredCertificate, UInt64, String?) {
        let add: @Sendable (Database) throws -> (StoredCertificate, String?) = { db in
            var certificate = try Self.ensureCertificate(recordID, year: year, db)
            let id = Int64(clamping: recordID)
            if let replaced = version.replaces {
                guard let old = certificate.versions.first(where: { $0.number == replaced }) else {
                    throw RPCError(.notFound, "replace_version: the certificate has no version \(replaced)")
                }
                guard old.state != "replaced" else {
                    throw RPCError(.failedPrecondition, "replace_version: version \(replaced) was already replaced")
                }
                _ = try db.run("UPDATE versions SET state = 'replaced' WHERE record_id = ? AND number = ? AND state = 'active'", [id, replaced])
            }
            let number = (certificate.versions.map(\.number).max() ?? 0) + 1
            let digest = (version.digest ?? Sodium.genericHash(version.bytes)).map { String(format: "%02x", $0) }.joined()
            _ = try db.run("""
                INSERT INTO versions(record_id, number, kind, media_type, size, digest, expiry, state, created_at_ms, created_by, file_name, replaces)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)
                """, [id, number, version.kind, version.mediaType, version.bytes.count, digest, version.expiry, Self.nowMs, actor,
                      version.fileName, version.replaces])
            // The file bound where it is, not copied (megabytes for an upload).
            let insert = try db.cachedStatement("INSERT INTO files(record_id, version, bytes) VALUES (?, ?, ?)")
            try insert.bind(id, at: 1)
            try insert.bind(number, at: 2)
            try version.bytes.withUnsafeBytes { bytes in
                defer { try? insert.clearBindings() }
                try insert.bindBorrowedBlob(bytes, at: 3)
                _ = try insert.step()
                try insert.reset()
            }
            let action = version.kind == "internal" ? "issued" : (version.replaces == nil ? "uploaded" : "replaced")
            var detail = version.replaces.map { "replaces version \($0)" } ?? ""
            if !version.originalName.isEmpty { detail += (detail.isEmpty ? "" : "; ") + "file \(version.originalName.prefix(200))" }
            try Self.audit(recordID, actor, action, version: number, detail: detail, db)
            if let share, share != certificate.shared {
                _ = try db.run("UPDATE certificates SET shared = ? WHERE record_id = ?", [share, id])
                try Self.audit(recordID, actor, share ? "shared" : "unshared", version: number, db)
            }
            var emailID: String?
            if let emailTo {
                let requestID = "em-" + Sodium.randomToken(bytes: 12)
                _ = try db.run("INSERT INTO email_requests(id, record_id, version, recipients, requested_by, at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                               [requestID, id, number, emailTo, actor, Self.nowMs])
                try Self.audit(recordID, actor, "email_requested", version: number, detail: "to \(emailTo)", db)
                emailID = requestID
            }
            certificate = try Self.certificate(recordID, db)!
            try FeedLog.append(.certificate(certificate.feedState), in: db)
            try confirm?()
            return (certificate, emailID)
        }
        let ((certificate, emailID), seq) = version.bytes.count >= Self.largeFileBytes ? try await writeLarge(add) : try await write(add)
        return (certificate, seq, emailID)
    }

    func setShared(_ recordID: UInt64, _ shared: Bool, actor: String) async throws -> (StoredCertificate, UInt64) {
        try await write { db in
            guard let certificate = try Self.certificate(recordID, db) else {
                throw RPCError(.notFound, "record_id: record \(recordID) has no certificate yet")
            }
            guard certificate.shared != shared else { return certificate }
            _ = try db.run("UPDATE certificates SET shared = ? WHERE record_id = ?", [shared, Int64(clamping: recordID)])
            try Self.audit(recordID, actor, shared ? "shared" : "unshared", version: certificate.current?.number ?? 0, db)
            let changed = try Self.certificate(recordID, db)!
            try FeedLog.append(.certificate(changed.feedState), in: db)
            return changed
        }
    }

    func revoke(_ recordID: UInt64, version: Int, reason: String, actor: String) async throws -> (StoredCertificate, UInt64) {
        try await write { db in
            guard let certificate = try Self.certificate(recordID, db) else {
                throw RPCError(.notFound, "record_id: record \(recordID) has no certificate yet")
            }
            let number = version == 0 ? certificate.current?.number : version
            guard let number, let target = certificate.versions.first(where: { $0.number == number }) else {
                throw RPCError(.notFound, version == 0 ? "version: the certificate has no current version" : "version: the certificate has no version \(version)")
            }
            guard target.state != "revoked" else { return certificate }
            _ = try db.run("UPDATE versions SET state = 'revoked', revoked_reason = ? WHERE record_id = ? AND number = ?",
                           [reason, Int64(clamping: recordID), number])
            try Self.audit(recordID, actor, "revoked", version: number, detail: reason, db)
            let changed = try Self.certificate(recordID, db)!
            try FeedLog.append(.certificate(changed.feedState), in: db)
            return changed
        }
    }

    func recordDownload(_ recordID: UInt64, version: Int, actor: String) async throws {
        _ = try await pool.write { db in try Self.audit(recordID, actor, "downloaded", version: version, db) }
    }
}

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
    /// The file, unless it is `stored` in the file directory.
    var bytes: [UInt8]
    var kind: String
    var mediaType: String
    var expiry: String?
    var fileName: String
    var replaces: Int?
    var originalName: String
    /// The bytes' BLAKE2b-256 when already computed (as an upload arrives); else computed here.
    var digest: [UInt8]?
    /// The file's name in the file directory and its size, when it was written there.
    var stored: (name: String, size: Int)?

    var size: Int { stored?.size ?? bytes.count }
}

/// cert-store's data in one SQLite database with synchronous=FULL: an acknowledged write
/// is on disk before the answer leaves. Every write appends the record's new
/// CertificateState to the feed in the same transaction and wakes the followers after it.
public final class CertificateStore: Sendable {
    public let pool: DatabasePool
    public let notifier: FeedNotifier
    let files: FileDirectory

    /// The database at `path`, its large files in `certificate-files` beside it.
    public static func open(path: String) async throws -> CertificateStore {
        var options = Database.Options(synchronous: .full)
        // Files (megabytes each) are read mapped, not one page per read call.
        options.mmapSize = 1 << 30
        // And written in 64 kB pages: a file kept here (under 1 MiB; larger ones go to the
        // file directory) is at most 16 WAL frames, not 256, two write calls each. Measured
        // with synchronous=FULL: a 500 kB file commits in 1.8 ms instead of 3.2, a one-row
        // commit takes 0.5 ms instead of 0.3.
        options.pageSize = 1 << 16
        let pool = try await DatabasePool.open(path: path, options: options, migrations: CertStoreSchema.migrations, readerCount: 2)
        try await pool.write { db in try Templates.seedStandard(db) }
        let head = try await pool.read { db in try FeedLog.head(in: db) }
        let files = try FileDirectory(path: ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("certificate-files"))
        try await pool.writer.writeWithoutTransaction { db in
            let named = try db.fetch("SELECT path FROM files WHERE path IS NOT NULL") { $0.string(at: 0) ?? "" }
            try files.removeUnnamed(keeping: Set(named))
        }
        return CertificateStore(pool: pool, notifier: FeedNotifier(head: head), files: files)
    }

    private init(pool: DatabasePool, notifier: FeedNotifier, files: FileDirectory) {
        self.pool = pool
        self.notifier = notifier
        self.files = files
    }

    /// Runs `body` in a write transaction, then wakes the feed's followers; returns the
    /// body's result and the feed's head after it.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> (T, UInt64) {
        let (result, head) = try await pool.write { db in (try body(db), try FeedLog.head(in: db)) }
        notifier.publish(head)
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

    /// Where a version's file is; nil when the record or version does not exist.
    func storedFile(_ recordID: UInt64, version: Int) async throws -> StoredFile? {
        let files = files
        return try await pool.read { db in
            try db.fetch("""
                SELECT f.rowid, length(f.bytes), f.path, v.size FROM files f
                JOIN versions v ON v.record_id = f.record_id AND v.number = f.version
                WHERE f.record_id = ? AND f.version = ?
                """, [Int64(clamping: recordID), version]) { row -> StoredFile in
                if let name = row.string(at: 2) { return .inDirectory(path: files.path(of: name), size: row.int(at: 3) ?? 0) }
                return .inDatabase(rowID: row.int64(at: 0) ?? 0, size: row.int(at: 1) ?? 0)
            }.first
        }
    }

    /// A version's file, to read piece by piece; nil when the record or version does not exist.
    func openFile(_ recordID: UInt64, version: Int) async throws -> FileReader? {
        guard let location = try await storedFile(recordID, version: version) else { return nil }
        return try await FileReader(location, pool: pool)
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
    /// file (or the name of its file in the directory), its audit, the share flag and any
    /// e-mail asked for, in one transaction.
    func addVersion(_ recordID: UInt64, _ version: NewVersion, year: Int, actor: String, share: Bool?,
                    emailTo: String?) async throws -> (StoredCertificate, UInt64, String?) {
        let ((certificate, emailID), seq) = try await write { db in
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
                """, [id, number, version.kind, version.mediaType, version.size, digest, version.expiry, Self.nowMs, actor,
                      version.fileName, version.replaces])
            // The file bound where it is, not copied; or, kept in the directory, its name.
            let insert = try db.cachedStatement("INSERT INTO files(record_id, version, bytes, path) VALUES (?, ?, ?, ?)")
            try insert.bind(id, at: 1)
            try insert.bind(number, at: 2)
            try insert.bind(version.stored?.name, at: 4)
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
            return (certificate, emailID)
        }
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

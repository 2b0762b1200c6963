public import RPC
public import Messages
internal import Storage
public import Sodium
public import Foundation

public typealias Account = Certportal_Catalog_V1_Account

/// How logins are protected.
public struct AccountPolicy: Sendable {
    /// Failed log-ins in a row before the account is locked for a while.
    public var attemptsBeforeLockout = 5
    /// The first lock-out; each further failure doubles it, up to `maxLockout`.
    public var firstLockout: Duration = .seconds(30)
    public var maxLockout: Duration = .seconds(15 * 60)
    public var invitationLifetime: Duration = .seconds(7 * 24 * 3600)
    public var minimumPasswordLength = 8
    /// Argon2id cost; `.minimal` only for tests.
    public var strength: PasswordStrength = .interactive
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}

extension CatalogStore {
    /// Creates or updates a login (admins only). An org rep names an organisation and a
    /// booker a booker of the catalog.
    public func putAccount(_ account: Account, password: String, by principal: Principal) async throws -> Account {
        try principal.requireAdmin("manage accounts")
        var account = account
        account.email = account.email.trimmingWhitespace().lowercased()
        if let problem = ImportRow.emailProblem(account.email) { throw RPCError(.invalidArgument, "email: \(problem)") }
        switch account.role {
        case "admin":
            account.organisationId = ""
            account.bookerId = ""
        case "orgrep":
            guard !account.organisationId.isEmpty else { throw RPCError(.invalidArgument, "organisation_id: an org rep needs their organisation's id") }
            account.bookerId = ""
        case "booker":
            guard !account.bookerId.isEmpty else { throw RPCError(.invalidArgument, "booker_id: a booker needs their booker id") }
            account.organisationId = ""
        default:
            throw RPCError(.invalidArgument, "role: must be admin, orgrep or booker; found \"\(account.role.clipped)\"")
        }
        let hash = password.isEmpty ? nil : try await hashPassword(password)
        let stored = account
        _ = try await write { db in
            if !stored.organisationId.isEmpty,
               try db.scalar("SELECT 1 FROM organisations WHERE id = ?", [stored.organisationId]) == nil {
                throw RPCError(.notFound, "organisation_id: there is no organisation \(stored.organisationId.clipped)")
            }
            if !stored.bookerId.isEmpty, try db.scalar("SELECT 1 FROM bookers WHERE id = ?", [stored.bookerId]) == nil {
                throw RPCError(.notFound, "booker_id: there is no booker \(stored.bookerId.clipped)")
            }
            _ = try db.run("""
                INSERT INTO accounts(email, role, organisation_id, booker_id, password_hash) VALUES (?, ?, ?, ?, coalesce(?, ''))
                ON CONFLICT(email) DO UPDATE SET role = excluded.role, organisation_id = excluded.organisation_id,
                    booker_id = excluded.booker_id, password_hash = coalesce(?5, password_hash),
                    failed_attempts = CASE WHEN ?5 IS NULL THEN failed_attempts ELSE 0 END,
                    locked_until_ms = CASE WHEN ?5 IS NULL THEN locked_until_ms ELSE 0 END
                """, [stored.email, stored.role, stored.organisationId, stored.bookerId, hash])
        }
        return account
    }

    /// The account whose password this is; UNAUTHENTICATED for a wrong e-mail or
    /// password (the same answer for both), RESOURCE_EXHAUSTED while locked out.
    public func authenticate(email: String, password: String) async throws -> Account {
        let email = email.trimmingWhitespace().lowercased()
        let nowMs = policy.now().millisecondsSince1970
        let stored = try await pool.read { db in
            try db.fetch("SELECT role, organisation_id, booker_id, password_hash, locked_until_ms FROM accounts WHERE email = ?", [email]) { row in
                (row.string(at: 0) ?? "", row.string(at: 1) ?? "", row.string(at: 2) ?? "", row.string(at: 3) ?? "", row.int64(at: 4) ?? 0)
            }.first
        }
        if let stored, stored.4 > nowMs {
            let seconds = (stored.4 - nowMs + 999) / 1000
            throw RPCError(.resourceExhausted, "too many failed log-ins: try again in \(seconds) s")
        }
        // An unknown e-mail costs the same hashing work as a known one.
        let storedHash = stored?.3 ?? ""
        let matches = try await hasher.run {
            Sodium.verifyPassword(password, hash: storedHash.isEmpty ? Self.decoyHash : storedHash)
        }
        guard let stored, matches, !stored.3.isEmpty else {
            if stored != nil { try await recordFailure(email: email, nowMs: nowMs) }
            throw RPCError(.unauthenticated, "wrong e-mail or password")
        }
        _ = try await write { db in
            _ = try db.run("UPDATE accounts SET failed_attempts = 0, locked_until_ms = 0 WHERE email = ? AND failed_attempts > 0", [email])
        }
        var account = Account()
        account.email = email
        account.role = stored.0
        account.organisationId = stored.1
        account.bookerId = stored.2
        return account
    }

    private func recordFailure(email: String, nowMs: Int64) async throws {
        let policy = self.policy
        _ = try await write { db in
            let failures = (try db.scalar("UPDATE accounts SET failed_attempts = failed_attempts + 1 WHERE email = ? RETURNING failed_attempts", [email])?.int64) ?? 0
            let over = Int(failures) - policy.attemptsBeforeLockout
            guard over >= 0 else { return }
            let lockout = min(policy.firstLockout * (1 << min(over, 20)), policy.maxLockout)
            _ = try db.run("UPDATE accounts SET locked_until_ms = ? WHERE email = ?", [nowMs + lockout.milliseconds, email])
        }
    }

    /// A one-time token with which the account's holder sets a password; only its digest
    /// is stored.
    public func createInvitation(email: String, by principal: Principal) async throws -> Certportal_Catalog_V1_Invitation {
        try principal.requireAdmin("invite users")
        let email = email.trimmingWhitespace().lowercased()
        let token = Sodium.randomToken()
        let digest = Sodium.genericHash(Array(token.utf8))
        let expires = policy.now().millisecondsSince1970 + policy.invitationLifetime.milliseconds
        _ = try await write { db in
            guard try db.run("UPDATE accounts SET invitation_digest = ?, invitation_expires_ms = ? WHERE email = ?",
                             [digest, expires, email]).changes > 0 else {
                throw RPCError(.notFound, "email: there is no account \(email.clipped)")
            }
        }
        var invitation = Certportal_Catalog_V1_Invitation()
        invitation.token = token
        invitation.expiresAtMs = expires
        return invitation
    }

    public func acceptInvitation(token: String, password: String) async throws -> Account {
        try checkPassword(password)
        let digest = Sodium.genericHash(Array(token.utf8))
        let hash = try await hashPassword(password)
        let nowMs = policy.now().millisecondsSince1970
        let (account, _) = try await write { db in
            guard let email = try db.scalar("""
                UPDATE accounts SET password_hash = ?, invitation_digest = NULL, invitation_expires_ms = 0,
                    failed_attempts = 0, locked_until_ms = 0
                WHERE invitation_digest = ? AND invitation_expires_ms > ? RETURNING email
                """, [hash, digest, nowMs])?.string else {
                throw RPCError(.notFound, "token: the invitation is unknown, used or expired")
            }
            return try db.fetch("SELECT email, role, organisation_id, booker_id FROM accounts WHERE email = ?", [email]) { row in
                var account = Account()
                account.email = row.string(at: 0) ?? ""
                account.role = row.string(at: 1) ?? ""
                account.organisationId = row.string(at: 2) ?? ""
                account.bookerId = row.string(at: 3) ?? ""
                return account
            }[0]
        }
        return account
    }

    private func checkPassword(_ password: String) throws(RPCError) {
        guard password.count >= policy.minimumPasswordLength else {
            throw RPCError(.invalidArgument, "password: must be at least \(policy.minimumPasswordLength) characters")
        }
        guard password.utf8.count <= 1024 else { throw RPCError(.invalidArgument, "password: must be at most 1024 bytes") }
    }

    private func hashPassword(_ password: String) async throws -> String {
        try checkPassword(password)
        let strength = policy.strength
        return try await hasher.run { try Sodium.hashPassword(password, strength: strength) }
    }

    /// Verified against when the e-mail is unknown, so both cases take as long.
    private static let decoyHash = (try? Sodium.hashPassword("decoy password never used", strength: .interactive)) ?? ""
}

extension Account {
    /// The principal the services check for this login.
    public var principal: Principal? {
        switch role {
        case "admin": .admin
        case "orgrep": .orgrep(organisationId)
        case "booker": .booker(bookerId)
        default: nil
        }
    }
}

extension Date {
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

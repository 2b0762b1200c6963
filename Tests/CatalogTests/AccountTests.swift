import Testing
import Catalog
import Messages
import RPC

/// Logins: accounts managed by admins, argon2id passwords, lock-out after repeated
/// failures, and one-time invitations.
@Suite struct AccountTests {
    /// A catalog with organisation ORG-A and booker BKR-1 imported.
    static func imported(_ adjust: (inout AccountPolicy) -> Void = { _ in }) async throws -> CatalogFixture {
        let fixture = try await CatalogFixture.open(adjust)
        #expect(try await fixture.importFile(ImportLine.file([ImportLine()])).accepted)
        return fixture
    }

    static func account(_ email: String, role: String, organisation: String = "", booker: String = "") -> Account {
        var account = Account()
        account.email = email
        account.role = role
        account.organisationId = organisation
        account.bookerId = booker
        return account
    }

    @Test func adminCreatesAccountsOfEveryRole() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store

        let admin = try await store.putAccount(Self.account(" Admin@Example.com ", role: "admin", organisation: "ORG-A"),
                                               password: "admin password", by: .admin)
        #expect(admin.email == "admin@example.com")
        #expect(admin.organisationId == "")
        #expect(admin.principal == .admin)

        let orgrep = try await store.putAccount(Self.account("rep@example.com", role: "orgrep", organisation: "ORG-A"),
                                                password: "orgrep password", by: .admin)
        #expect(orgrep.principal == .orgrep("ORG-A"))

        let booker = try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"),
                                                password: "booker password", by: .admin)
        #expect(booker.principal == .booker("BKR-1"))

        #expect(try await store.authenticate(email: "ADMIN@example.com", password: "admin password").principal == .admin)
        #expect(try await store.authenticate(email: "rep@example.com", password: "orgrep password").principal == .orgrep("ORG-A"))
        #expect(try await store.authenticate(email: "bea@example.com", password: "booker password").principal == .booker("BKR-1"))
    }

    @Test func accountNamingAnUnknownOrganisationOrBookerIsNotFound() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store

        await expectRPCError(.notFound, mentioning: "organisation_id") {
            try await store.putAccount(Self.account("rep@example.com", role: "orgrep", organisation: "ORG-NOPE"),
                                       password: "orgrep password", by: .admin)
        }
        await expectRPCError(.notFound, mentioning: "booker_id") {
            try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-NOPE"),
                                       password: "booker password", by: .admin)
        }
        await expectRPCError(.unauthenticated) { try await store.authenticate(email: "rep@example.com", password: "orgrep password") }
    }

    @Test func accountsWithAMissingIdOrUnknownRoleAreInvalid() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        await expectRPCError(.invalidArgument, mentioning: "organisation_id") {
            try await store.putAccount(Self.account("rep@example.com", role: "orgrep"), password: "orgrep password", by: .admin)
        }
        await expectRPCError(.invalidArgument, mentioning: "booker_id") {
            try await store.putAccount(Self.account("bea@example.com", role: "booker"), password: "booker password", by: .admin)
        }
        await expectRPCError(.invalidArgument, mentioning: "role") {
            try await store.putAccount(Self.account("x@example.com", role: "root"), password: "some password", by: .admin)
        }
        await expectRPCError(.invalidArgument, mentioning: "email") {
            try await store.putAccount(Self.account("not an address", role: "admin"), password: "some password", by: .admin)
        }
    }

    @Test func onlyAdminsManageAccounts() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        for principal in [Principal.orgrep("ORG-A"), .booker("BKR-1")] {
            await expectRPCError(.permissionDenied) {
                try await store.putAccount(Self.account("new@example.com", role: "admin"), password: "some password", by: principal)
            }
            await expectRPCError(.permissionDenied) { try await store.createInvitation(email: "new@example.com", by: principal) }
        }
        await expectRPCError(.unauthenticated) { try await store.authenticate(email: "new@example.com", password: "some password") }
    }

    @Test func wrongPasswordAndUnknownEmailGetTheSameAnswer() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        _ = try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"),
                                       password: "booker password", by: .admin)

        let signedIn = try await store.authenticate(email: "bea@example.com", password: "booker password")
        #expect(signedIn.email == "bea@example.com")
        #expect(signedIn.role == "booker")
        #expect(signedIn.principal == .booker("BKR-1"))

        let wrongPassword = await expectRPCError(.unauthenticated) {
            try await store.authenticate(email: "bea@example.com", password: "booker passwort")
        }
        let unknownEmail = await expectRPCError(.unauthenticated) {
            try await store.authenticate(email: "nobody@example.com", password: "booker password")
        }
        #expect(wrongPassword?.message == unknownEmail?.message)
        #expect(wrongPassword?.message.isEmpty == false)
    }

    @Test func repeatedFailuresLockTheAccountUntilTheLockoutEnds() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        let policy = AccountPolicy()
        _ = try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"),
                                       password: "booker password", by: .admin)

        for _ in 0..<policy.attemptsBeforeLockout {
            await expectRPCError(.unauthenticated) { try await store.authenticate(email: "bea@example.com", password: "guess") }
        }
        // Locked: even the right password is refused.
        await expectRPCError(.resourceExhausted) {
            try await store.authenticate(email: "bea@example.com", password: "booker password")
        }
        fixture.clock.advance(seconds: Double(policy.firstLockout.components.seconds) - 1)
        await expectRPCError(.resourceExhausted) {
            try await store.authenticate(email: "bea@example.com", password: "booker password")
        }
        fixture.clock.advance(seconds: 1)
        #expect(try await store.authenticate(email: "bea@example.com", password: "booker password").principal == .booker("BKR-1"))

        // A success starts the count again: one more failure does not lock.
        await expectRPCError(.unauthenticated) { try await store.authenticate(email: "bea@example.com", password: "guess") }
        #expect(try await store.authenticate(email: "bea@example.com", password: "booker password").email == "bea@example.com")
    }

    @Test func eachFailureAfterTheLockoutDoublesIt() async throws {
        let fixture = try await Self.imported { $0.attemptsBeforeLockout = 2 }
        let store = fixture.store
        _ = try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"),
                                       password: "booker password", by: .admin)
        for _ in 0..<2 {
            await expectRPCError(.unauthenticated) { try await store.authenticate(email: "bea@example.com", password: "guess") }
        }
        fixture.clock.advance(seconds: 30)  // the first lock-out is over
        await expectRPCError(.unauthenticated) { try await store.authenticate(email: "bea@example.com", password: "guess") }
        fixture.clock.advance(seconds: 59)
        await expectRPCError(.resourceExhausted, mentioning: "1 s") {
            try await store.authenticate(email: "bea@example.com", password: "booker password")
        }
        fixture.clock.advance(seconds: 1)
        #expect(try await store.authenticate(email: "bea@example.com", password: "booker password").email == "bea@example.com")
    }

    @Test func invitationSetsThePasswordOnceAndOnlyBeforeItExpires() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        // No password yet: nobody can log in as this account.
        _ = try await store.putAccount(Self.account("rep@example.com", role: "orgrep", organisation: "ORG-A"),
                                       password: "", by: .admin)
        await expectRPCError(.unauthenticated) { try await store.authenticate(email: "rep@example.com", password: "") }

        let invitation = try await store.createInvitation(email: "Rep@Example.com", by: .admin)
        #expect(!invitation.token.isEmpty)
        #expect(invitation.expiresAtMs > Int64(fixture.clock.now.timeIntervalSince1970 * 1000))

        let accepted = try await store.acceptInvitation(token: invitation.token, password: "chosen password")
        #expect(accepted.email == "rep@example.com")
        #expect(accepted.principal == .orgrep("ORG-A"))
        #expect(try await store.authenticate(email: "rep@example.com", password: "chosen password").principal == .orgrep("ORG-A"))

        // Used once: never again.
        await expectRPCError(.notFound, mentioning: "token") {
            try await store.acceptInvitation(token: invitation.token, password: "another password")
        }
        #expect(try await store.authenticate(email: "rep@example.com", password: "chosen password").email == "rep@example.com")

        // Expired: refused, and the password stays as it was.
        let later = try await store.createInvitation(email: "rep@example.com", by: .admin)
        fixture.clock.advance(seconds: Double(AccountPolicy().invitationLifetime.components.seconds) + 1)
        await expectRPCError(.notFound, mentioning: "token") {
            try await store.acceptInvitation(token: later.token, password: "another password")
        }
        #expect(try await store.authenticate(email: "rep@example.com", password: "chosen password").email == "rep@example.com")
        await expectRPCError(.notFound) { try await store.acceptInvitation(token: "made-up", password: "another password") }
    }

    @Test func invitationForAnUnknownAccountIsNotFound() async throws {
        let fixture = try await Self.imported()
        await expectRPCError(.notFound, mentioning: "email") {
            try await fixture.store.createInvitation(email: "nobody@example.com", by: .admin)
        }
    }

    @Test func passwordsShorterThanEightCharactersAreInvalid() async throws {
        let fixture = try await Self.imported()
        let store = fixture.store
        await expectRPCError(.invalidArgument, mentioning: "password") {
            try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"), password: "1234567", by: .admin)
        }
        _ = try await store.putAccount(Self.account("bea@example.com", role: "booker", booker: "BKR-1"), password: "", by: .admin)
        let invitation = try await store.createInvitation(email: "bea@example.com", by: .admin)
        await expectRPCError(.invalidArgument, mentioning: "password") {
            try await store.acceptInvitation(token: invitation.token, password: "short")
        }
        // The refused password did not use up the invitation.
        #expect(try await store.acceptInvitation(token: invitation.token, password: "12345678").email == "bea@example.com")
        #expect(try await store.authenticate(email: "bea@example.com", password: "12345678").principal == .booker("BKR-1"))
    }
}

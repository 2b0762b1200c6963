import Testing
@testable import CertStore

@Suite struct StoredCertificateTests {
    static func version(_ number: Int, _ state: String, kind: String = "external", expiry: String? = "2027-01-31", replaces: Int? = nil) -> StoredVersion {
        StoredVersion(number: number, kind: kind, mediaType: "application/pdf", size: 10, digest: "ab", expiry: expiry, state: state,
                      createdAtMs: 1, createdBy: "admin", fileName: "f.pdf", replaces: replaces, revokedReason: nil)
    }

    @Test func theNewestActiveVersionIsCurrent() {
        var certificate = StoredCertificate(recordID: 7, number: "CP-2026-000001", code: "secret", shared: false,
                                            versions: [Self.version(1, "active"), Self.version(2, "replaced"), Self.version(3, "active", replaces: 2)])
        #expect(certificate.current?.number == 3)
        let admin = certificate.message(forAdmin: true, publicURL: "https://p.example")
        #expect(admin.versions.map(\.state) == ["superseded", "replaced", "current"])
        #expect(admin.verificationCode == "secret" && admin.currentVersion == 3)
        certificate.versions[2].state = "revoked"
        #expect(certificate.current?.number == 1, "revoking the newest makes the older active one current")
        certificate.versions[0].state = "revoked"
        #expect(certificate.current == nil)
    }

    @Test func bookersSeeTheCurrentVersionOnlyAndNoCode() {
        let certificate = StoredCertificate(recordID: 7, number: "CP-2026-000001", code: "secret", shared: true,
                                            versions: [Self.version(1, "active"), Self.version(2, "active")])
        let booker = certificate.message(forAdmin: false, publicURL: "https://p.example")
        #expect(booker.verificationCode.isEmpty)
        #expect(booker.versions.map(\.number) == [2])
    }

    @Test func theFeedStateFollowsTheCurrentVersion() {
        var certificate = StoredCertificate(recordID: 7, number: "N", code: "c", shared: true,
                                            versions: [Self.version(1, "active", kind: "internal", expiry: nil)])
        var state = certificate.feedState
        #expect(state.hasCurrent && state.expiryDate.isEmpty && state.certType == "internal" && !state.updated && state.shared)
        certificate.versions.append(Self.version(2, "active", expiry: "2028-02-29"))
        state = certificate.feedState
        #expect(state.currentVersion == 2 && state.expiryDate == "2028-02-29" && state.certType == "external" && state.updated)
        certificate.versions = certificate.versions.map { var v = $0; v.state = "revoked"; return v }
        state = certificate.feedState
        #expect(!state.hasCurrent && state.currentVersion == 0)
    }
}

@Suite struct TemplateFieldNameTests {
    @Test func theRenderersFieldsAreNamedAsTheProtoNamesThem() {
        #expect(Templates.protoNamed("primaryColour: \"red\" is not a colour") == "primary_colour: \"red\" is not a colour")
        #expect(Templates.protoNamed("logoPNG: 3 bytes, not a PNG") == "logo_png: 3 bytes, not a PNG")
        #expect(Templates.protoNamed("body: unknown placeholder {x}") == "body: unknown placeholder {x}")
        #expect(Templates.protoNamed("no field here") == "no field here")
    }
}

import Testing
import Foundation
import Sodium
@testable import Gateway
import RPC

@Suite struct SessionTests {
    let sealer = try! SessionSealer(key: SecretBox.generateKey(), lifetime: .seconds(60))

    @Test func aSealedSessionOpensToTheSame() throws {
        let session = sealer.newSession(email: "zoë@example.com", role: "orgrep", organisationID: "ORG-1", bookerID: "", principal: "orgrep:ORG-1")
        let cookie = sealer.seal(session)
        #expect(sealer.open(cookie) == session)
        #expect(!cookie.contains("ORG-1"), "the cookie is sealed, not readable")
        #expect(session.csrfToken.count >= 32)
    }

    @Test func aForgedDamagedOrForeignCookieIsNoSession() throws {
        let session = sealer.newSession(email: "a@example.com", role: "admin", organisationID: "", bookerID: "", principal: "admin")
        var cookie = Array(sealer.seal(session).utf8)
        cookie[cookie.count / 2] = cookie[cookie.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(sealer.open(String(decoding: cookie, as: UTF8.self)) == nil)
        #expect(sealer.open("") == nil)
        #expect(sealer.open("not base64 at all!") == nil)
        let other = try SessionSealer(key: SecretBox.generateKey())
        #expect(other.open(sealer.seal(session)) == nil, "another key's cookie")
    }

    @Test func anExpiredSessionIsNoSession() {
        let session = sealer.newSession(email: "a@example.com", role: "admin", organisationID: "", bookerID: "", principal: "admin", now: 1000)
        #expect(sealer.open(sealer.seal(session), now: 1059) != nil)
        #expect(sealer.open(sealer.seal(session), now: 1060) == nil)
    }

    @Test func theCookieIsHttpOnlyStrictAndSecureOverTLS() {
        let plain = sealer.setCookie("v", secure: false)
        #expect(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && plain.contains("Path=/") && !plain.contains("Secure"))
        #expect(sealer.setCookie("v", secure: true).hasSuffix("; Secure"))
        #expect(sealer.clearCookie(secure: false).contains("Max-Age=0"))
    }
}

@Suite struct JSONTests {
    @Test func stringsAreEscapedForJSONAndHTML() {
        let value: JSON = ["a": .string("\"quote\" \\ \n\t <script>&\u{01} Zoë 李雷"), "n": 12, "f": .number(1.5), "b": true, "z": .null]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"a":"\"quote\" \\ \n\t \u003cscript\u003e\u0026\u0001 Zoë 李雷","n":12,"f":1.5,"b":true,"z":null}"#)
        let parsed = JSON.parse(value.serialized())
        #expect(parsed?["a"]?.stringValue == "\"quote\" \\ \n\t <script>&\u{01} Zoë 李雷")
        #expect(parsed?["b"] == .bool(true))
        #expect(parsed?["n"] == .number(12))
    }

    @Test func notJSONIsNil() {
        #expect(JSON.parse(Array("{nope".utf8)) == nil)
        #expect(JSON.parse([]) == nil)
    }
}

@Suite struct RouteTests {
    @Test func pathsMatchTheirPatterns() {
        let route = API.allRoutes.first { $0.path == "/api/records/{id}/schedules" }!
        #expect(route.match("/api/records/42/schedules".split(separator: "/")) == ["id": "42"])
        #expect(route.match("/api/records/42".split(separator: "/")) == nil)
        #expect(route.match("/api/records/42/other".split(separator: "/")) == nil)
    }

    @Test func everyRouteIsInTheOpenAPIDocumentAndNothingElse() throws {
        let document = OpenAPI.document(routes: API.allRoutes)
        #expect(document["openapi"] == "3.1.0")
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for (path, operations) in paths {
            guard case .object(let methods) = operations else { continue }
            for (method, operation) in methods {
                documented.insert("\(method.uppercased()) \(path)")
                #expect(operation["responses"] != nil, "\(method) \(path)")
            }
        }
        #expect(documented == Set(API.allRoutes.map { "\($0.method) \($0.path)" }))
        let operationIDs = API.allRoutes.map(OpenAPI.operationID)
        #expect(Set(operationIDs).count == operationIDs.count, "operationIds are unique: \(operationIDs)")
        // Every $ref points at a schema that exists.
        let text = String(decoding: document.serialized(), as: UTF8.self)
        guard case .object(let schemas)? = document["components"]?["schemas"] else { Issue.record("no schemas"); return }
        let names = Set(schemas.map(\.0))
        for piece in text.components(separatedBy: "#/components/schemas/").dropFirst() {
            let name = String(piece.prefix { $0 != "\"" })
            #expect(names.contains(name), "dangling $ref \(name)")
        }
    }

    @Test func theRecordSchemaHasEveryColumn() {
        guard case .object(let properties)? = OpenAPI.recordSchema["properties"] else { Issue.record("no properties"); return }
        let keys = properties.map(\.0)
        for column in ["booking_id", "contact_name", "organisation", "booker", "course_name", "schedule_id", "status", "start_date",
                       "completion_date", "expiry_date", "certificate_updated", "cert_type", "outstanding", "shared", "pass_fail"] {
            #expect(keys.contains(column), "\(column)")
        }
    }
}

@Suite struct LoginThrottleTests {
    @Test func fiveFailuresThenADoublingWaitThatASuccessClears() {
        let throttle = LoginThrottle()
        let now = Date()
        for _ in 0..<4 { throttle.failed("10.0.0.1", now: now) }
        #expect(throttle.wait(for: "10.0.0.1", now: now) == nil)
        throttle.failed("10.0.0.1", now: now)
        #expect(throttle.wait(for: "10.0.0.1", now: now) == 2)
        throttle.failed("10.0.0.1", now: now)
        #expect(throttle.wait(for: "10.0.0.1", now: now) == 4)
        #expect(throttle.wait(for: "10.0.0.2", now: now) == nil, "another address is not held up")
        #expect(throttle.wait(for: "10.0.0.1", now: now.addingTimeInterval(5)) == nil)
        throttle.succeeded("10.0.0.1")
        throttle.failed("10.0.0.1", now: now)
        #expect(throttle.wait(for: "10.0.0.1", now: now) == nil)
    }
}

@Suite struct APIErrorTests {
    @Test func servicesErrorsMapToStatusesWithTheField() {
        let invalid = APIError.from(RPCError(.invalidArgument, "from: must be an ISO date such as 2026-03-02; found \"x\""), service: "stats-service")
        #expect(invalid.status == 400 && invalid.field == "from")
        #expect(APIError.from(RPCError(.notFound, "record_id: there is no record 9"), service: "s").status == 404)
        let template = APIError.from(RPCError(.invalidArgument, "primary_colour: \"red\" is not a colour"), service: "cert-store")
        #expect(template.field == "primary_colour" && template.message == "primary_colour: \"red\" is not a colour")
        let down = APIError.from(RPCError(.unavailable, "connection refused to 127.0.0.1:7002"), service: "stats-service")
        #expect(down.status == 503 && down.message.contains("stats-service") && !down.message.contains("127.0.0.1"))
        let internalError = APIError.from(RPCError(.internalError, "sqlite: disk I/O error at /var/x"), service: "s")
        #expect(internalError.status == 502 && !internalError.message.contains("sqlite"))
    }
}

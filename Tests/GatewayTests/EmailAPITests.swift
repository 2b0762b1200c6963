import Testing
@testable import Gateway
import Messages

@Suite struct EmailJSONTests {
    @Test func aMessageIsTheProtosFieldsInSnakeCaseWithInstantsAndNulls() throws {
        var message = Certportal_Export_V1_OutboxMessage()
        message.id = 7
        message.kind = "certificate"
        message.recordId = 42
        message.version = 2
        message.recipients = ["zoe@example.com", "booker@example.com"]
        message.subject = "Your certificate"
        message.state = "queued"
        message.attempts = 3
        message.lastError = "421 try later"
        message.createdAtMs = 1_781_517_600_000
        message.nextAttemptAtMs = 1_781_517_660_000
        message.requestedBy = "admin@example.com"
        let json = EmailJSON.message(message)
        let text = String(decoding: json.serialized(), as: UTF8.self)
        #expect(text == #"{"id":7,"kind":"certificate","record_id":42,"version":2,"recipients":["zoe@example.com","booker@example.com"],"subject":"Your certificate","state":"queued","attempts":3,"last_error":"421 try later","created_at":"2026-06-15T10:00:00Z","next_attempt_at":"2026-06-15T10:01:00Z","sent_at":null,"requested_by":"admin@example.com","server_reply":null,"message_id":null}"#)
        // A reminder digest names no record.
        message.kind = "reminder"
        message.recordId = 0
        message.version = 0
        #expect(EmailJSON.message(message)["record_id"] == .null && EmailJSON.message(message)["version"] == .null)
    }

    @Test func aTemplateFromABodyNamesTheMemberAtFault() throws {
        let saved = try EmailJSON.template(from: ["subject": "Hi {contact_name}", "body": "Attached.", "revision": 3], name: "certificate", requireText: true)
        #expect(saved.name == "certificate" && saved.subject == "Hi {contact_name}" && saved.body == "Attached." && saved.revision == 3)
        #expect(throws: APIError.invalid("body", "required")) {
            try EmailJSON.template(from: ["subject": "Hi"], name: "certificate", requireText: true)
        }
        #expect(throws: APIError.invalid("subject", "must be a string")) {
            try EmailJSON.template(from: ["subject": 5], name: "certificate", requireText: false)
        }
        #expect(throws: APIError.invalid("subject", "at most 998 characters")) {
            try EmailJSON.template(from: ["subject": .string(String(repeating: "s", count: 999))], name: "certificate", requireText: false)
        }
        // A preview of what is typed so far: absent members are empty.
        #expect(try EmailJSON.template(from: [:], name: "reminder", requireText: false).subject == "")
    }
}

import Messages
import Testing

@Suite("Wire format")
struct WireFormatTests {
    // MARK: Known byte vectors, computed by hand from the protobuf encoding rules

    @Test("Frame{call_id: 1, ping{opaque: 7}}")
    func pingFrame() throws {
        // 08 01: field 1 varint 1. 3a 02: field 7 length-delimited, 2 bytes. 08 07: opaque = 7.
        let bytes: [UInt8] = [0x08, 0x01, 0x3A, 0x02, 0x08, 0x07]
        var ping = Certportal_Rpc_V1_Ping()
        ping.opaque = 7
        var frame = Certportal_Rpc_V1_Frame()
        frame.callId = 1
        frame.kind = .ping(ping)
        #expect(frame.serializedBytes() == bytes)
        #expect(try Certportal_Rpc_V1_Frame(serializedBytes: bytes) == frame)
    }

    @Test("more vectors: UInt64.max, negative int32, UTF-8, empty oneof cases, enums")
    func vectors() throws {
        var frame = Certportal_Rpc_V1_Frame()
        frame.callId = UInt64.max
        frame.kind = .message([0x00, 0xFF])
        try expectVector(frame, [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0x1A, 0x02, 0x00, 0xFF])

        var status = Certportal_Testing_V1_EchoStatus()
        status.code = -1  // a negative int32 is sign-extended to a ten-byte varint
        try expectVector(status, [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])

        var trailers = Certportal_Rpc_V1_Trailers()
        trailers.code = 5
        trailers.message = "Zoë"
        try expectVector(trailers, [0x08, 0x05, 0x12, 0x04, 0x5A, 0x6F, 0xC3, 0xAB])

        var halfClose = Certportal_Rpc_V1_Frame()
        halfClose.kind = .halfClose(Certportal_Rpc_V1_HalfClose())
        try expectVector(halfClose, [0x2A, 0x00])  // the case is sent even though it is empty

        var emptyMessage = Certportal_Rpc_V1_Frame()
        emptyMessage.kind = .message([])
        try expectVector(emptyMessage, [0x1A, 0x00])

        var health = Certportal_Health_V1_HealthCheckResponse()
        health.status = .notServing
        try expectVector(health, [0x08, 0x02])

        // Defaults are not sent at all.
        try expectVector(Certportal_Rpc_V1_Frame(), [])
        try expectVector(Certportal_Testing_V1_SimpleRequest(), [])
    }

    private func expectVector<M: ProtoMessage>(
        _ message: M, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(message.serializedBytes() == bytes, sourceLocation: sourceLocation)
        #expect(try M(serializedBytes: bytes) == message, sourceLocation: sourceLocation)
    }

    // MARK: Invalid input

    @Test("invalid bytes throw ProtoDecodingError", arguments: [
        ("truncated varint", [0x08, 0x80] as [UInt8]),
        ("truncated tag", [0x80]),
        ("varint for a message field (wrong wire type)", [0x12, 0x01]),
        ("fixed32 for a uint64 field (wrong wire type)", [0x0D, 0x01, 0x02, 0x03, 0x04]),
        ("length-delimited for a uint64 field (wrong wire type)", [0x0A, 0x01, 0x00]),
        ("truncated length-delimited bytes", [0x1A, 0x05, 0x01, 0x02]),
        ("truncated nested message", [0x3A, 0x04, 0x08, 0x07]),
        ("invalid nested message", [0x3A, 0x02, 0x08, 0x80]),
        ("wire type 7", [0x0F]),
    ])
    func invalidBytes(_ description: String, _ bytes: [UInt8]) {
        let error = #expect(throws: ProtoDecodingError.self, "\(description)") {
            try Certportal_Rpc_V1_Frame(serializedBytes: bytes)
        }
        #expect(error?.messageName == "certportal.rpc.v1.Frame")
        #expect(error?.description.hasPrefix("cannot decode certportal.rpc.v1.Frame: ") == true)
    }

    @Test("a string that is not UTF-8 is a decoding error naming the field")
    func invalidUTF8() {
        // Frame{headers{method: FF FE}}: protobuf-c itself accepts the bytes.
        let bytes: [UInt8] = [0x12, 0x04, 0x0A, 0x02, 0xFF, 0xFE]
        let error = #expect(throws: ProtoDecodingError.self) {
            try Certportal_Rpc_V1_Frame(serializedBytes: bytes)
        }
        #expect(error?.messageName == "certportal.rpc.v1.Frame")
        #expect(error?.reason == "string field certportal.rpc.v1.Headers.method is not valid UTF-8")

        // In a repeated string, and a lone continuation byte.
        let info: [UInt8] = [0x12, 0x01, 0x41, 0x12, 0x01, 0x80]
        let infoError = #expect(throws: ProtoDecodingError.self) {
            try Certportal_Reflection_V1_ServiceInfo(serializedBytes: info)
        }
        #expect(infoError?.reason.contains("certportal.reflection.v1.ServiceInfo.methods") == true)

        // The same bytes are fine in a bytes field.
        let frame = try? Certportal_Rpc_V1_Frame(serializedBytes: [0x1A, 0x02, 0xFF, 0xFE])
        #expect(frame?.kind == .message([0xFF, 0xFE]))
    }

    // MARK: What survives, what does not

    @Test("unknown enum values survive decoding and encoding")
    func unknownEnumValues() throws {
        let decoded = try Certportal_Health_V1_HealthCheckResponse(serializedBytes: [0x08, 0x63])
        #expect(decoded.status.rawValue == 99)
        #expect(decoded.status != .serving && decoded.status != .unknown)
        #expect(decoded.serializedBytes() == [0x08, 0x63])

        var negative = Certportal_Health_V1_HealthCheckResponse()
        negative.status = .init(rawValue: -5)
        let again = try Certportal_Health_V1_HealthCheckResponse(serializedBytes: negative.serializedBytes())
        #expect(again.status.rawValue == -5)
    }

    @Test("enum constants: lowerCamelCase names with the proto numbers")
    func enumConstants() {
        typealias Status = Certportal_Health_V1_HealthCheckResponse.ServingStatus
        #expect(Status.unknown.rawValue == 0)
        #expect(Status.serving.rawValue == 1)
        #expect(Status.notServing.rawValue == 2)
        #expect(Status.serviceUnknown.rawValue == 3)
        #expect(Certportal_Health_V1_HealthCheckResponse().status == .unknown)
    }

    @Test("unknown fields are skipped on decode and not re-sent")
    func unknownFields() throws {
        // status = SERVING, then field 10 (varint 5), which HealthCheckResponse lacks.
        let decoded = try Certportal_Health_V1_HealthCheckResponse(serializedBytes: [0x08, 0x01, 0x50, 0x05])
        #expect(decoded.status == .serving)
        #expect(decoded.serializedBytes() == [0x08, 0x01])
    }

    @Test("no bytes decode to the default message")
    func emptyInput() throws {
        #expect(try Certportal_Rpc_V1_Frame(serializedBytes: []) == Certportal_Rpc_V1_Frame())
        #expect(try Certportal_Rpc_V1_Frame(serializedBytes: UnsafeRawBufferPointer(start: nil, count: 0))
                == Certportal_Rpc_V1_Frame())
    }

    @Test("strings are C strings in protobuf-c: U+0000 cuts them (use bytes for binary data)")
    func nulInString() throws {
        var metadata = Certportal_Rpc_V1_Metadata()
        metadata.key = "a\u{0}b"
        #expect(metadata.serializedBytes() == [0x0A, 0x01, 0x61])
        let decoded = try Certportal_Rpc_V1_Metadata(serializedBytes: [0x0A, 0x03, 0x61, 0x00, 0x62])
        #expect(decoded.key == "a")
    }

    @Test("ProtoDecodingError describes itself")
    func errorDescription() {
        let error = ProtoDecodingError(messageName: "certportal.rpc.v1.Frame", reason: "too short")
        #expect(error.description == "cannot decode certportal.rpc.v1.Frame: too short")
        #expect("\(error)" == error.description)
    }
}

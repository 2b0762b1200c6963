import Messages
import Testing

@Suite("Round trips")
struct RoundTripTests {
    @Test("every sample survives encode and decode", arguments: Samples.all)
    func roundTrip(_ message: any ProtoMessage) throws {
        try Self.checkRoundTrip(message)
    }

    private static func checkRoundTrip<M: ProtoMessage>(_ message: M) throws {
        let bytes = message.serializedBytes()
        let decoded = try M(serializedBytes: bytes)
        #expect(decoded == message, "\(M.protoMessageName) changed in a round trip")
        #expect(decoded.serializedBytes() == bytes, "\(M.protoMessageName) re-encodes differently")
        if Samples.fieldless.contains(M.protoMessageName) {
            #expect(bytes.isEmpty)
        } else {
            #expect(!bytes.isEmpty, "\(M.protoMessageName)'s sample encodes to nothing")
        }
    }

    @Test("the samples cover every generated message type")
    func samplesCoverEveryType() {
        let sampled = Set(Samples.all.map { type(of: $0).protoMessageName })
        let generated = Set(ProtoRegistry.messageTypes.map { $0.protoMessageName })
        #expect(sampled.count == Samples.all.count, "a type is sampled twice")
        #expect(generated.subtracting(sampled).isEmpty,
                "add a sample to Samples.all for: \(generated.subtracting(sampled).sorted())")
    }

    @Test("every field of every sample differs from its default", arguments: Samples.all)
    func samplesSetEveryField(_ message: any ProtoMessage) {
        Self.checkEveryFieldSet(message)
    }

    private static func checkEveryFieldSet<M: ProtoMessage>(_ message: M) {
        let defaults = Mirror(reflecting: M())
        for (field, value) in Mirror(reflecting: message).children {
            let defaultValue = defaults.children.first { $0.label == field }?.value
            #expect("\(value)" != "\(String(describing: defaultValue!))",
                    "Samples: set \(M.protoMessageName).\(field ?? "?") to a non-default value")
        }
    }

    @Test("every case of Frame.kind survives, even with default payloads", arguments: Samples.frameKinds)
    func frameKind(_ kind: Certportal_Rpc_V1_Frame.Kind?) throws {
        var frame = Certportal_Rpc_V1_Frame()
        frame.callId = 42
        frame.kind = kind
        let decoded = try Certportal_Rpc_V1_Frame(serializedBytes: frame.serializedBytes())
        #expect(decoded == frame)
        #expect(decoded.kind == kind)
    }

    @Test("every case of FeedEvent.change survives")
    func feedEventChanges() throws {
        for change in [Certportal_Feed_V1_FeedEvent.Change.record(Samples.feedCatalogRecord),
                       .certificate(Samples.feedCertificateState), .certificate(.init()), nil] {
            var event = Certportal_Feed_V1_FeedEvent()
            event.seq = 7
            event.change = change
            let decoded = try Certportal_Feed_V1_FeedEvent(serializedBytes: event.serializedBytes())
            #expect(decoded.change == change)
        }
    }

    @Test("every case of the upload's and download's parts survives, empty bytes too")
    func fileChunkParts() throws {
        for part in [Certportal_Certificates_V1_UploadChunk.Part.header(Samples.certificatesUploadHeader), .header(.init()),
                     .data([0, 1, 0xFF]), .data([]), nil] {
            var chunk = Certportal_Certificates_V1_UploadChunk()
            chunk.part = part
            #expect(try Certportal_Certificates_V1_UploadChunk(serializedBytes: chunk.serializedBytes()).part == part)
        }
        for part in [Certportal_Certificates_V1_FileChunk.Part.header(Samples.certificatesFileHeader), .data([0x25, 0x50, 0x44, 0x46]), nil] {
            var chunk = Certportal_Certificates_V1_FileChunk()
            chunk.part = part
            #expect(try Certportal_Certificates_V1_FileChunk(serializedBytes: chunk.serializedBytes()).part == part)
        }
    }

    @Test("every case of an export's chunk survives, defaults too")
    func exportChunkParts() throws {
        for part in [Certportal_Export_V1_ExportChunk.Part.header(Samples.exportExportHeader), .header(.init()), .data([0x50, 0x4B, 3, 4]),
                     .data([]), .progress(Samples.exportExportProgress), .progress(.init()), .skipped(Samples.exportExportSkipped), nil] {
            var chunk = Certportal_Export_V1_ExportChunk()
            chunk.part = part
            #expect(try Certportal_Export_V1_ExportChunk(serializedBytes: chunk.serializedBytes()).part == part)
        }
    }

    @Test("large messages: a 1 MiB body and a thousand repeated messages")
    func largeMessages() throws {
        var payload = Certportal_Testing_V1_Payload()
        payload.body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var request = Certportal_Testing_V1_StreamingOutputCallRequest()
        request.payload = payload
        request.responseParameters = (0..<1000).map { index in
            var parameters = Certportal_Testing_V1_ResponseParameters()
            parameters.size = Int32(index)
            parameters.intervalUs = -Int32(index)
            return parameters
        }
        let bytes = request.serializedBytes()
        #expect(bytes.count > 1 << 20)
        #expect(try Certportal_Testing_V1_StreamingOutputCallRequest(serializedBytes: bytes) == request)

        var headers = Certportal_Rpc_V1_Headers()
        headers.metadata = (0..<500).map { index in
            var entry = Certportal_Rpc_V1_Metadata()
            entry.key = "key-\(index)"
            entry.value = String(repeating: "李", count: index)
            return entry
        }
        #expect(try Certportal_Rpc_V1_Headers(serializedBytes: headers.serializedBytes()) == headers)
    }

    @Test("serialize(into:) appends after what the buffer holds")
    func appendsToBuffer() throws {
        let prefix: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x2A]
        var buffer = prefix
        Samples.frame.serialize(into: &buffer)
        #expect(Array(buffer.prefix(prefix.count)) == prefix)
        #expect(Array(buffer.dropFirst(prefix.count)) == Samples.frame.serializedBytes())

        // Decoding from the middle of a larger buffer.
        let decoded = try buffer.withUnsafeBytes { raw in
            try Certportal_Rpc_V1_Frame(serializedBytes: UnsafeRawBufferPointer(rebasing: raw[prefix.count...]))
        }
        #expect(decoded == Samples.frame)

        // A buffer with room reserved but nothing in it.
        var reserved: [UInt8] = []
        reserved.reserveCapacity(4096)
        Samples.ping.serialize(into: &reserved)
        #expect(reserved == Samples.ping.serializedBytes())
    }

    @Test("messages are values: Hashable, and a copy is independent")
    func valueSemantics() {
        var copy = Samples.headers
        copy.metadata[0].value = "changed"
        #expect(copy != Samples.headers)
        #expect(Set([Samples.headers, copy, Samples.headers]).count == 2)
    }
}

public import Messages

/// Messages arriving on a call: the requests a server handler reads, or the responses a
/// client reads. Each is decoded as it is taken; one that does not decode ends the
/// sequence with INVALID_ARGUMENT (server) or INTERNAL (client).
public struct MessageStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    let queue: MessageQueue<[UInt8]>
    let decodeFailureCode: RPCStatusCode
    /// The client call the responses belong to (nil on the server side).
    let call: ClientCall?

    init(queue: MessageQueue<[UInt8]>, decodeFailureCode: RPCStatusCode, call: ClientCall? = nil) {
        self.queue = queue
        self.decodeFailureCode = decodeFailureCode
        self.call = call
    }

    /// Client side: the response headers received so far.
    public var responseHeaders: Metadata { call?.responseHeaders ?? [:] }
    /// Client side: the trailing metadata once the call has ended.
    public var trailers: Metadata? { call?.trailers }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: MessageQueue<[UInt8]>
        let decodeFailureCode: RPCStatusCode
        let call: ClientCall?

        public mutating func next() async throws -> Message? {
            let received: [UInt8]?
            if let call {
                received = try await call.nextMessage()
            } else {
                received = try await queue.next()
            }
            guard let bytes = received else { return nil }
            return try decodeMessage(Message.self, bytes, failureCode: decodeFailureCode)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: queue, decodeFailureCode: decodeFailureCode, call: call)
    }
}

/// Sends messages on a call: a server handler's responses, or a client's requests.
/// Waits while the connection's write queue is full (back pressure).
public struct MessageWriter<Message: ProtoMessage>: Sendable {
    let sink: @Sendable ([UInt8]) async throws -> Void
    let call: ClientCall?

    init(sink: @escaping @Sendable ([UInt8]) async throws -> Void, call: ClientCall? = nil) {
        self.sink = sink
        self.call = call
    }

    public func write(_ message: Message) async throws {
        try await sink(message.serializedBytes())
    }

    public func write<S: Sequence>(contentsOf messages: S) async throws where S.Element == Message {
        for message in messages { try await write(message) }
    }
}

func decodeMessage<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8], failureCode: RPCStatusCode) throws(RPCError) -> Message {
    do {
        return try Message(serializedBytes: bytes)
    } catch {
        throw RPCError(failureCode, "message is not a valid \(Message.protoMessageName): \(error.reason)")
    }
}

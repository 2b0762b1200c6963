internal import Foundation
internal import Synchronization

/// Why a streamed request body ended before its last byte.
public enum HTTPBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is over the server's `maxBodyBytes`; the rest is not read.
    case tooLarge(limit: Int)
    /// The client went away before the body was complete.
    case incomplete

    public var description: String {
        switch self {
        case .tooLarge(let limit): "the request body is over \(limit) bytes"
        case .incomplete: "the client went away before the request body was complete"
        }
    }
}

/// A request body read while it arrives: the pieces libmicrohttpd hands over, in order.
/// Ends normally after the last byte; throws `HTTPBodyError` when the body is too large or
/// the client went away. Read it once.
public struct HTTPRequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let pipe: RequestBodyPipe

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pipe: RequestBodyPipe

        public mutating func next() async throws -> [UInt8]? {
            try await pipe.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipe: pipe) }
}

/// A request body between libmicrohttpd's connection thread (the producer, which waits in
/// `push` while `maxQueuedBytes` are unread: back pressure through TCP) and the handler's
/// task (the consumer). Once the handler has answered, what is still sent is dropped.
final class RequestBodyPipe: Sendable {
    static let maxQueuedBytes = 1 << 20

    private struct State {
        var pieces: [[UInt8]] = []
        var queuedBytes = 0
        var end: Result<Void, HTTPBodyError>?
        var consumer: CheckedContinuation<[UInt8]?, any Error>?
        /// The handler answered: nothing reads any more.
        var abandoned = false
    }

    private let state = Mutex(State())
    /// Signalled when the producer may add more.
    private let room = DispatchSemaphore(value: 0)
    private let server: ServerContext

    init(server: ServerContext) {
        self.server = server
    }

    /// libmicrohttpd's thread: adds a piece, waiting while too much is unread. False when the
    /// piece was dropped (the handler answered, or the server stops).
    @discardableResult
    func push(_ bytes: [UInt8]) -> Bool {
        while true {
            enum Step { case added(CheckedContinuation<[UInt8]?, any Error>?), dropped, wait }
            let step = state.withLock { state -> Step in
                if state.abandoned || state.end != nil { return .dropped }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .added(consumer)
                }
                guard state.queuedBytes < Self.maxQueuedBytes else { return .wait }
                state.pieces.append(bytes)
                state.queuedBytes += bytes.count
                return .added(nil)
            }
            switch step {
            case .added(let consumer):
                consumer?.resume(returning: bytes)
                return true
            case .dropped:
                return false
            case .wait:
                // Woken by the consumer; every half second, a look at whether the server stops.
                if room.wait(timeout: .now() + .milliseconds(500)) == .timedOut, server.stopping.load(ordering: .acquiring) {
                    return false
                }
            }
        }
    }

    /// Ends the body: after the pieces queued, the consumer sees the end (or the error).
    func finish(_ end: Result<Void, HTTPBodyError> = .success(())) {
        let consumer = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = end
            defer { state.consumer = nil }
            return state.pieces.isEmpty ? state.consumer : nil
        }
        guard let consumer else { return }
        switch end {
        case .success: consumer.resume(returning: nil)
        case .failure(let error): consumer.resume(throwing: error)
        }
    }

    /// The handler answered: the producer stops waiting and drops the rest.
    func abandon() {
        state.withLock { state in
            state.abandoned = true
            state.pieces = []
            state.queuedBytes = 0
        }
        room.signal()
    }

    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            let ready = state.withLock { state -> Result<[UInt8]?, HTTPBodyError>? in
                if !state.pieces.isEmpty {
                    let piece = state.pieces.removeFirst()
                    state.queuedBytes -= piece.count
                    return .success(piece)
                }
                switch state.end {
                case .success?: return .success(nil)
                case .failure(let error)?: return .failure(error)
                case nil:
                    state.consumer = continuation
                    return nil
                }
            }
            guard let ready else { return }
            room.signal()
            continuation.resume(with: ready)
        }
    }
}

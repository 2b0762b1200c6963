internal import CMicroHTTPD
internal import Foundation
internal import Synchronization

/// A streamed body between its producer (a task) and libmicrohttpd's connection thread,
/// which waits in `read` for the next bytes. At most `maxQueuedChunks` chunks wait
/// unsent; beyond that the producer's `write` waits (back pressure), so memory stays
/// bounded whatever the body's size. libmicrohttpd owns one retain (released in its free
/// callback, when the response is done or the client went away: the producer is then
/// cancelled). State is behind a lock; the connection thread blocks on a semaphore, never
/// a thread of the cooperative pool.
final class BodyPipe: Sendable {
    static let maxQueuedChunks = 4

    private enum End {
        case finished
        case failed
    }

    private struct State {
        var chunks: [[UInt8]] = []
        /// Bytes of `chunks[0]` already handed to libmicrohttpd.
        var offset = 0
        /// A producer waiting for room, with the chunk it will add.
        var waiting: (bytes: [UInt8], continuation: CheckedContinuation<Void, any Error>)?
        var end: End?
        /// The client went away (or the response was dropped): writes throw.
        var gone = false
        var producer: Task<Void, Never>?
        /// Bytes held (queued and waiting), and the most ever held: what the body costs.
        var heldBytes = 0
        var mostHeldBytes = 0
    }

    private let state = Mutex(State())
    /// Signalled whenever the reader may have something new to look at.
    private let changed = DispatchSemaphore(value: 0)
    /// The server: once it is stopping, a reader waiting for a slow producer gives up.
    private let server: ServerContext

    init(server: ServerContext) {
        self.server = server
    }

    /// Starts `stream`'s producer; its end (or error) ends the body.
    func start(_ stream: HTTPBodyStream) {
        let writer = HTTPBodyWriter(pipe: self)
        let produce = stream.produce
        let task = Task {
            do {
                try await produce(writer)
                self.finish(.finished)
            } catch {
                self.finish(.failed)
            }
        }
        let cancelNow = state.withLock { state -> Bool in
            state.producer = task
            return state.gone
        }
        if cancelNow { task.cancel() }
    }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Outcome { case added, gone, wait }
            let outcome = state.withLock { state -> Outcome in
                if state.gone || state.end != nil { return .gone }
                state.heldBytes += bytes.count
                state.mostHeldBytes = max(state.mostHeldBytes, state.heldBytes)
                if state.chunks.count < Self.maxQueuedChunks {
                    state.chunks.append(bytes)
                    return .added
                }
                state.waiting = (bytes, continuation)
                return .wait
            }
            switch outcome {
            case .added:
                changed.signal()
                continuation.resume()
            case .gone:
                continuation.resume(throwing: CancellationError())
            case .wait:
                break
            }
        }
    }

    /// The most bytes this body held at once (for tests).
    var mostHeldBytes: Int { state.withLock { $0.mostHeldBytes } }

    private func finish(_ end: End) {
        state.withLock { state in
            if state.end == nil { state.end = end }
        }
        changed.signal()
    }

    /// libmicrohttpd's thread: up to `capacity` bytes into `buffer`, waiting for them.
    /// The count, or libmicrohttpd's end-of-stream / end-with-error markers.
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        while true {
            enum Step { case bytes(Int, CheckedContinuation<Void, any Error>?), end, failed, wait }
            let step = state.withLock { state -> Step in
                if state.gone { return .failed }
                if !state.chunks.isEmpty {
                    let chunk = state.chunks[0]
                    let count = min(capacity, chunk.count - state.offset)
                    chunk.withUnsafeBytes { bytes in
                        buffer.copyMemory(from: bytes.baseAddress! + state.offset, byteCount: count)
                    }
                    state.offset += count
                    state.heldBytes -= count
                    var resume: CheckedContinuation<Void, any Error>?
                    if state.offset == chunk.count {
                        state.chunks.removeFirst()
                        state.offset = 0
                        if let waiting = state.waiting {
                            state.chunks.append(waiting.bytes)
                            state.waiting = nil
                            resume = waiting.continuation
                        }
                    }
                    return .bytes(count, resume)
                }
                switch state.end {
                case .finished?: return .end
                case .failed?: return .failed
                case nil: return .wait
                }
            }
            switch step {
            case .bytes(let count, let resume):
                resume?.resume()
                return count
            case .end: return cp_mhd_end_of_stream()
            case .failed: return cp_mhd_end_with_error()
            case .wait:
                // Woken by the producer; every half second, a look at whether the server stops.
                if changed.wait(timeout: .now() + .milliseconds(500)) == .timedOut, server.stopping.load(ordering: .acquiring) {
                    return cp_mhd_end_with_error()
                }
            }
        }
    }

    /// The response is done with (sent, or the client went away): the producer stops.
    func close() {
        let (waiting, producer) = state.withLock { state in
            state.gone = true
            state.chunks = []
            defer { state.waiting = nil }
            return (state.waiting?.continuation, state.producer)
        }
        waiting?.resume(throwing: CancellationError())
        producer?.cancel()
        changed.signal()
    }
}

// libmicrohttpd's content callbacks, on its connection threads: global functions, so
// they carry no actor isolation.

func readBody(_ context: UnsafeMutableRawPointer?, _ position: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
    guard let context, let buffer, capacity > 0 else { return cp_mhd_end_with_error() }
    return Unmanaged<BodyPipe>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: capacity)
}

func freeBody(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let pipe = Unmanaged<BodyPipe>.fromOpaque(context)
    pipe.takeUnretainedValue().close()
    pipe.release()
}

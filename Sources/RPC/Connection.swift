#if canImport(Glibc)
internal import Glibc
#endif
internal import Dispatch
internal import Synchronization

/// Limits one side of a connection enforces on its peer.
public struct ConnectionLimits: Sendable {
    /// Largest frame body accepted, before and after decompression.
    public var maxFrameBytes: Int = FrameFormat.defaultMaxBodyBytes
    /// Longest a peer may leave a frame half-sent before the connection is closed.
    public var readTimeout: Duration = .seconds(30)
    /// Outbound bytes buffered before async senders wait (back pressure on a slow reader).
    public var writeHighWater: Int = 4 << 20

    public init() {}
}

/// What the owner of a connection hears from its reader thread.
protocol ConnectionDelegate: AnyObject, Sendable {
    /// A complete frame arrived. Runs on the reader thread; return false to close.
    func connection(_ connection: Connection, received frame: Frame) -> Bool
    /// The peer broke the protocol or stalled; the connection closes after this returns.
    func connection(_ connection: Connection, failed reason: String)
    /// The connection is closed: no more frames will arrive.
    func connectionClosed(_ connection: Connection)
}

/// One TCP connection: a dedicated reader thread blocked in poll/read (never the cooperative
/// pool), and one ordered write queue so frames of concurrent calls never interleave. Writes
/// are attempted at once without blocking; what the socket does not take is finished by a
/// writer thread, and async senders wait while too much is queued.
final class Connection: Sendable {
    let fd: Int32
    let limits: ConnectionLimits
    let peer: String

    private struct WriteState {
        /// Bytes queued and not yet taken by the writer.
        var pending: [UInt8] = []
        /// The writer's empty buffer, swapped with `pending` to take a batch without copying.
        var spare: [UInt8] = []
        /// Bytes of the batch the writer is writing right now.
        var inFlight = 0
        /// A batch the socket took only part of, and how much: written first, next time.
        var unfinished: (batch: [UInt8], offset: Int)?
        /// Someone (a sending task or the writer thread) is the one writer.
        var writerBusy = false
        var closed = false
        var closeWhenFlushed = false
        var capacityWaiters: [CheckedContinuation<Void, Never>] = []
        var threadsRunning = 2
        /// The descriptor was closed; its number may already belong to another socket.
        var released = false
        var queued: Int { pending.count + inFlight + (unfinished.map { $0.batch.count - $0.offset } ?? 0) }
    }

    private let state = Mutex(WriteState())
    private let writerWake = DispatchSemaphore(value: 0)

    init(fd: Int32, limits: ConnectionLimits, peer: String) {
        self.fd = fd
        self.limits = limits
        self.peer = peer
    }

    /// Starts the reader and writer threads.
    func start(delegate: any ConnectionDelegate) {
        startThread(name: "cprpc-read \(peer)") { [self] in
            readLoop(delegate)
        }
        startThread(name: "cprpc-write \(peer)") { [self] in
            writeLoop()
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: Writing

    /// Queues bytes for the peer. The first sender to find no writer at work becomes the
    /// writer and writes, without holding the lock, everything queued meanwhile too, so
    /// concurrent calls share system calls instead of contending for them. Never blocks:
    /// what the socket does not take goes to the writer thread. False when closed.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        let outcome = state.withLock { state -> Bool? in
            guard !state.closed, !state.closeWhenFlushed else { return nil }
            if state.pending.isEmpty && bytes.count > state.pending.capacity {
                // Nothing queued: take the array itself (a file chunk is not copied again).
                state.pending = bytes
            } else {
                state.pending.append(contentsOf: bytes)
            }
            if state.writerBusy { return false }
            state.writerBusy = true
            return true
        }
        guard let becameWriter = outcome else { return false }
        if becameWriter && flush() == .wouldBlock { writerWake.signal() }
        return true
    }

    private enum FlushResult { case drained, wouldBlock, failed }

    /// Writes batches until the queue is empty (giving up the writer role) or the socket is
    /// full (keeping it, for the writer thread). Only the one writer calls this.
    private func flush() -> FlushResult {
        var batch: [UInt8] = []
        var offset = 0
        while true {
            var waiters: [CheckedContinuation<Void, Never>] = []
            var closeNow = false
            let taken = state.withLock { state -> Bool in
                if batch.capacity > 0 {
                    // Hand the written batch's storage back for the next one (not a huge one).
                    batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
                    state.spare = batch
                }
                state.inFlight = 0
                if state.queued <= limits.writeHighWater / 2 {
                    waiters = state.capacityWaiters
                    state.capacityWaiters = []
                }
                if let unfinished = state.unfinished, !state.closed {
                    state.unfinished = nil
                    (batch, offset) = unfinished
                    state.inFlight = batch.count - offset
                    return true
                }
                guard !state.pending.isEmpty, !state.closed else {
                    state.writerBusy = false
                    closeNow = state.closeWhenFlushed
                    return false
                }
                batch = state.pending
                offset = 0
                state.pending = state.spare
                state.spare = []
                state.inFlight = batch.count
                return true
            }
            for waiter in waiters { waiter.resume() }
            guard taken else {
                if closeNow { close() }
                return .drained
            }
            do {
                while offset < batch.count {
                    let result = try batch.withUnsafeBytes { raw throws(SystemCallError) in
                        try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    }
                    guard case .processed(let count) = result else { break }
                    offset += count
                }
            } catch {
                close()
                return .failed
            }
            if offset < batch.count {
                // The socket is full: keep the rest for next time (ahead of what is pending)
                // and the writer role.
                state.withLock { state in
                    state.unfinished = (batch, offset)
                    state.inFlight = 0
                }
                return .wouldBlock
            }
        }
    }

    /// Queues bytes, then waits while more than the high-water mark is queued.
    @discardableResult
    func sendRespectingBackPressure(_ bytes: [UInt8]) async -> Bool {
        guard send(bytes) else { return false }
        guard state.withLock({ $0.queued > limits.writeHighWater }) else { return true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.closed || state.queued <= limits.writeHighWater { return true }
                state.capacityWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return !isClosed
    }

    /// Closes once everything queued is written (or at once when nothing is).
    func closeAfterFlush() {
        let closeNow = state.withLock { state -> Bool in
            state.closeWhenFlushed = true
            return state.pending.isEmpty && !state.writerBusy
        }
        if closeNow { close() }
    }

    /// Closes the connection: the reader thread sees end of file and tells the delegate.
    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            // Under the lock, so a released (and perhaps reused) descriptor is never touched.
            if !state.released { TCP.shutdown(fd) }
            defer { state.capacityWaiters = [] }
            return state.capacityWaiters
        }
        writerWake.signal()
        for waiter in waiters { waiter.resume() }
    }

    /// Finishes writes the socket would not take at once: waits for it to drain, then
    /// writes as the one writer.
    private func writeLoop() {
        defer { threadExited() }
        while true {
            writerWake.wait()
            while true {
                if isClosed { return }
                do {
                    _ = try Syscall.poll(fd, events: Int16(POLLOUT), timeoutMilliseconds: 1000)
                } catch {
                    close()
                    return
                }
                let result = flush()
                if result == .failed { return }
                if result == .drained { break }
            }
        }
    }

    // MARK: Reading

    private func readLoop(_ delegate: any ConnectionDelegate) {
        defer {
            close()
            delegate.connectionClosed(self)
            threadExited()
        }
        var decoder = FrameDecoder(maxBodyBytes: limits.maxFrameBytes)
        // Reads go straight into the decoder's buffer, at least this much at a time.
        let readBytes = 64 * 1024
        let stallMilliseconds = Int32(clamping: limits.readTimeout.components.seconds * 1000
            + limits.readTimeout.components.attoseconds / 1_000_000_000_000_000)
        do {
            while true {
                let timeout: Int32 = decoder.hasPartialFrame ? stallMilliseconds : -1
                let revents = try Syscall.poll(fd, events: Int16(POLLIN), timeoutMilliseconds: timeout)
                if revents == 0 {
                    delegate.connection(self, failed: "read timeout: the peer sent part of a frame and then nothing for \(limits.readTimeout)")
                    return
                }
                switch try decoder.read(room: readBytes, { space throws(SystemCallError) in try Syscall.read(fd, into: space) }) {
                case .wouldBlock:
                    continue
                case .endOfFile:
                    return
                case .processed:
                    while let frame = try decoder.next() {
                        guard delegate.connection(self, received: frame) else { return }
                    }
                }
            }
        } catch let error as FrameError {
            delegate.connection(self, failed: error.description)
        } catch {
            // A reset or other socket error: the connection is simply gone.
        }
    }

    /// The last of the two threads to leave releases the descriptor, so it is never reused
    /// while the other still uses it.
    private func threadExited() {
        state.withLock { state in
            state.threadsRunning -= 1
            if state.threadsRunning == 0 {
                state.released = true
                TCP.close(fd)
            }
        }
    }
}

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
        var pending: [UInt8] = []
        var pendingStart = 0
        var writerBusy = false
        var closed = false
        var closeWhenFlushed = false
        var capacityWaiters: [CheckedContinuation<Void, Never>] = []
        var threadsRunning = 2
        /// The descriptor was closed; its number may already belong to another socket.
        var released = false
        var pendingCount: Int { pending.count - pendingStart }
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

    /// Queues bytes for the peer, writing at once when the socket takes them. Never blocks.
    /// False when the connection is closed.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var wakeWriter = false
        var failed = false
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, !state.closeWhenFlushed else { return false }
            guard state.pendingCount == 0, !state.writerBusy else {
                state.pending.append(contentsOf: bytes)
                return true
            }
            var offset = 0
            do {
                writing: while offset < bytes.count {
                    let result = try bytes.withUnsafeBytes { raw throws(SystemCallError) in
                        try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    }
                    switch result {
                    case .processed(let count): offset += count
                    case .wouldBlock, .endOfFile: break writing
                    }
                }
            } catch {
                failed = true
                return false
            }
            if offset < bytes.count {
                state.pending.removeAll(keepingCapacity: true)
                state.pendingStart = 0
                state.pending.append(contentsOf: bytes[offset...])
                state.writerBusy = true
                wakeWriter = true
            }
            return true
        }
        if wakeWriter { writerWake.signal() }
        if failed { close() }
        return accepted
    }

    /// Queues bytes, then waits while more than the high-water mark is queued.
    @discardableResult
    func sendRespectingBackPressure(_ bytes: [UInt8]) async -> Bool {
        guard send(bytes) else { return false }
        guard state.withLock({ $0.pendingCount > limits.writeHighWater }) else { return true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.closed || state.pendingCount <= limits.writeHighWater { return true }
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
            return state.pendingCount == 0 && !state.writerBusy
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
                var waiters: [CheckedContinuation<Void, Never>] = []
                var failed = false
                var closeNow = false
                let drained = state.withLock { state -> Bool in
                    if state.closed { return true }
                    do {
                        writing: while state.pendingCount > 0 {
                            let start = state.pendingStart
                            let result = try state.pending.withUnsafeBytes { raw throws(SystemCallError) in
                                try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: raw[start...]))
                            }
                            switch result {
                            case .processed(let count): state.pendingStart += count
                            case .wouldBlock, .endOfFile: break writing
                            }
                        }
                    } catch {
                        failed = true
                        return true
                    }
                    if state.pendingCount <= limits.writeHighWater / 2 {
                        waiters = state.capacityWaiters
                        state.capacityWaiters = []
                    }
                    if state.pendingCount == 0 {
                        state.pending.removeAll(keepingCapacity: state.pending.capacity <= 1 << 20)
                        state.pendingStart = 0
                        state.writerBusy = false
                        closeNow = state.closeWhenFlushed
                        return true
                    }
                    if state.pendingStart > 1 << 20 {
                        state.pending.removeSubrange(0..<state.pendingStart)
                        state.pendingStart = 0
                    }
                    return false
                }
                for waiter in waiters { waiter.resume() }
                if failed || closeNow { close() }
                if drained { break }
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
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
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
                switch try Syscall.read(fd, into: buffer) {
                case .wouldBlock:
                    continue
                case .endOfFile:
                    return
                case .processed(let count):
                    decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
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

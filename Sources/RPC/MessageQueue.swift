internal import Dispatch
internal import Synchronization

/// A single-consumer queue between a connection's reader thread (the producer) and a call's
/// task (the consumer). It holds at most `byteLimit` bytes: beyond that the reader thread
/// waits, so a call that does not read its messages slows its peer through TCP instead of
/// growing memory without bound.
final class MessageQueue<Element: Sendable>: Sendable {
    private struct State {
        /// Elements and their sizes; those before `head` are taken (nil: the queue keeps no
        /// reference to them, or a queue that never quite empties would hold them all).
        var items: [(Element?, Int)] = []
        var head = 0
        var bytes = 0
        var finished: Result<Void, RPCError>?
        var consumer: CheckedContinuation<Element?, any Error>?
        var producerWaiting: DispatchSemaphore?
        /// A consumer that wants everything at once, when the queue ends.
        var endWaiter: CheckedContinuation<[Element], any Error>?
        let byteLimit: Int

        mutating func drain() -> [Element] {
            defer { items = []; head = 0; bytes = 0 }
            return items[head...].compactMap(\.0)
        }
    }

    private let state: Mutex<State>

    init(byteLimit: Int) {
        state = Mutex(State(byteLimit: byteLimit))
    }

    /// Adds an element; blocks the calling (reader) thread while the queue is over its limit.
    /// Never call from the cooperative pool.
    func push(_ element: Element, size: Int) {
        var overflow: (CheckedContinuation<[Element], any Error>, RPCError)?
        let (consumer, wait) = state.withLock { state -> (CheckedContinuation<Element?, any Error>?, DispatchSemaphore?) in
            guard state.finished == nil else { return (nil, nil) }
            if state.endWaiter != nil && state.bytes + size > state.byteLimit {
                // A collecting consumer reads nothing until the end: refuse to grow past the
                // limit rather than hold the producer forever.
                let error = RPCError(.resourceExhausted, "more than \(state.byteLimit) bytes of messages on one call")
                overflow = state.endWaiter.map { ($0, error) }
                state.endWaiter = nil
                state.finished = .failure(error)
                state.items = []
                state.head = 0
                state.bytes = 0
                return (nil, nil)
            }
            if let consumer = state.consumer {
                state.consumer = nil
                return (consumer, nil)
            }
            state.items.append((element, size))
            state.bytes += size
            if state.bytes > state.byteLimit && state.endWaiter == nil {
                let semaphore = DispatchSemaphore(value: 0)
                state.producerWaiting = semaphore
                return (nil, semaphore)
            }
            return (nil, nil)
        }
        consumer?.resume(returning: element)
        if let (waiter, error) = overflow { waiter.resume(throwing: error) }
        wait?.wait()
    }

    /// Ends the queue: after the buffered elements, `next` returns nil (or throws the error).
    func finish(_ result: Result<Void, RPCError> = .success(())) {
        var collected: [Element] = []
        let (consumer, producer, endWaiter) = state.withLock { state -> (CheckedContinuation<Element?, any Error>?, DispatchSemaphore?, CheckedContinuation<[Element], any Error>?) in
            guard state.finished == nil else { return (nil, nil, nil) }
            state.finished = result
            defer { state.consumer = nil; state.producerWaiting = nil; state.endWaiter = nil }
            if state.endWaiter != nil { collected = state.drain() }
            return (state.items.count > state.head ? nil : state.consumer, state.producerWaiting, state.endWaiter)
        }
        producer?.signal()
        if let endWaiter {
            switch result {
            case .success: endWaiter.resume(returning: collected)
            case .failure(let error): endWaiter.resume(throwing: error)
            }
        }
        guard let consumer else { return }
        switch result {
        case .success: consumer.resume(returning: nil)
        case .failure(let error): consumer.resume(throwing: error)
        }
    }

    /// Drops everything and wakes both sides: the call is over.
    func cancel(_ error: RPCError) {
        let (consumer, producer, endWaiter) = state.withLock { state -> (CheckedContinuation<Element?, any Error>?, DispatchSemaphore?, CheckedContinuation<[Element], any Error>?) in
            state.items = []
            state.head = 0
            state.bytes = 0
            if state.finished == nil { state.finished = .failure(error) }
            defer { state.consumer = nil; state.producerWaiting = nil; state.endWaiter = nil }
            return (state.consumer, state.producerWaiting, state.endWaiter)
        }
        producer?.signal()
        consumer?.resume(throwing: error)
        endWaiter?.resume(throwing: error)
    }

    /// Everything the queue held when it ended, in one wake-up instead of one per element
    /// (unary calls: the message and the end arrive together). Throws the queue's error.
    func collect() async throws -> [Element] {
        // Already ended (the usual case for a unary request): no suspension at all.
        let ready: Result<[Element], RPCError>? = state.withLock { state in
            switch state.finished {
            case .success: .success(state.drain())
            case .failure(let error): .failure(error)
            case .none: nil
            }
        }
        if let ready { return try ready.get() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[Element], any Error>) in
                let outcome: Result<[Element], any Error>? = state.withLock { state in
                    switch state.finished {
                    case .success: return .success(state.drain())
                    case .failure(let error): return .failure(error)
                    case .none:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.endWaiter = continuation
                        if let producer = state.producerWaiting {
                            state.producerWaiting = nil
                            producer.signal()
                        }
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<[Element], any Error>? in
                defer { state.endWaiter = nil }
                return state.endWaiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// The next element, nil at the end. Cancelling the waiting task throws CancellationError.
    func next() async throws -> Element? {
        if let ready = try takeReady() { return ready.value }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let outcome: Result<Element?, any Error>? = state.withLock { state in
                    if let ready = Self.take(&state) { return ready }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.consumer = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let consumer = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(throwing: CancellationError())
        }
    }

    private struct Ready { var value: Element? }

    private func takeReady() throws -> Ready? {
        let outcome = state.withLock { Self.take(&$0) }
        guard let outcome else { return nil }
        return Ready(value: try outcome.get())
    }

    private static func take(_ state: inout State) -> Result<Element?, any Error>? {
        if state.head < state.items.count {
            let (element, size) = state.items[state.head]
            state.items[state.head].0 = nil
            state.head += 1
            state.bytes -= size
            if state.head == state.items.count {
                state.items.removeAll(keepingCapacity: true)
                state.head = 0
            }
            if let producer = state.producerWaiting, state.bytes <= state.byteLimit / 2 {
                state.producerWaiting = nil
                producer.signal()
            }
            return .success(element)
        }
        switch state.finished {
        case .none: return nil
        case .success: return .success(nil)
        case .failure(let error): return .failure(error)
        }
    }
}

internal import Synchronization

/// Tells followers that the feed has grown: writers `publish` the new head after commit;
/// followers `wait` until the head passes the sequence they have.
public final class FeedNotifier: Sendable {
    private struct State {
        var head: UInt64 = 0
        var waiters: [(id: UInt64, after: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(head: UInt64 = 0) {
        state.withLock { $0.head = head }
    }

    public var head: UInt64 { state.withLock { $0.head } }

    /// Records that events up to `seq` are committed and wakes the followers behind it.
    public func publish(_ seq: UInt64) {
        let woken: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard seq > state.head else { return [] }
            state.head = seq
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.after < seq else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when the head is beyond `seq`, after `timeout`, or when the task is cancelled.
    public func wait(after seq: UInt64, timeout: Duration) async {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let ready: Bool = self.state.withLock { state in
                            if state.head > seq || Task.isCancelled { return true }
                            state.waiters.append((id, seq, continuation))
                            return false
                        }
                        if ready { continuation.resume() }
                    }
                } onCancel: {
                    self.wake(id)
                }
            }
            await group.next()
            group.cancelAll()
            self.wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume()
    }
}

internal import Foundation
internal import Synchronization

/// Runs actions at deadlines from one timer thread: a min-heap of instants, so thousands of
/// calls with deadlines cost one thread, not a sleeping task each.
final class DeadlineTimer: Sendable {
    static let shared = DeadlineTimer()

    typealias Token = UInt64

    private struct Entry {
        let instant: ContinuousClock.Instant
        let token: Token
    }

    private struct State {
        var heap: [Entry] = []
        var actions: [Token: @Sendable () -> Void] = [:]
        var nextToken: Token = 1
        var threadStarted = false
    }

    private let state = Mutex(State())
    private let wake = NSCondition()

    /// Runs `action` on the timer thread at `instant`, unless cancelled first.
    @discardableResult
    func schedule(at instant: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> Token {
        let (token, startThread, isEarliest) = state.withLock { state -> (Token, Bool, Bool) in
            let token = state.nextToken
            state.nextToken += 1
            state.actions[token] = action
            Self.push(Entry(instant: instant, token: token), into: &state.heap)
            let start = !state.threadStarted
            state.threadStarted = true
            return (token, start, state.heap[0].token == token)
        }
        if startThread {
            RPC.startThread(name: "cprpc-deadlines") { [self] in run() }
        }
        if isEarliest {
            wake.lock()
            wake.signal()
            wake.unlock()
        }
        return token
    }

    func cancel(_ token: Token) {
        state.withLock { _ = $0.actions.removeValue(forKey: token) }
    }

    private func run() {
        let clock = ContinuousClock()
        while true {
            var due: [@Sendable () -> Void] = []
            // Deciding and sleeping under `wake` means a schedule() in between cannot be missed.
            wake.lock()
            let wait: Duration? = state.withLock { state in
                let now = clock.now
                while let first = state.heap.first {
                    if state.actions[first.token] == nil {
                        Self.popFirst(&state.heap)
                        continue
                    }
                    if first.instant > now { return first.instant - now }
                    Self.popFirst(&state.heap)
                    if let action = state.actions.removeValue(forKey: first.token) { due.append(action) }
                }
                return nil
            }
            if due.isEmpty {
                let seconds = wait.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 60
                _ = wake.wait(until: Date(timeIntervalSinceNow: seconds))
            }
            wake.unlock()
            for action in due { action() }
        }
    }

    private static func push(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].instant < heap[parent].instant else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func popFirst(_ heap: inout [Entry]) {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].instant < heap[smallest].instant { smallest = left }
            if right < heap.count && heap[right].instant < heap[smallest].instant { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

extension Duration {
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        return UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
    }
}

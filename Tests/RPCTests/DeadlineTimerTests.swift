import Testing
import Synchronization
@testable import RPC

@Suite struct DeadlineTimerTests {
    final class Counter: Sendable {
        let fired = Mutex(0)
    }

    @Test func everyScheduledActionFiresAndCancelledOnesDoNot() async throws {
        let counter = Counter()
        let timer = DeadlineTimer()
        let total = 2000
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                group.addTask {
                    let at = ContinuousClock.now + .milliseconds(Int64(index % 50))
                    let token = timer.schedule(at: at) { counter.fired.withLock { $0 += 1 } }
                    if index % 4 == 0 { timer.cancel(token) }
                }
            }
        }
        let expected = total - total / 4
        let end = ContinuousClock.now + .seconds(10)
        while counter.fired.withLock({ $0 }) < expected && ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
        // A cancelled action may still fire if cancel raced with the deadline; these were
        // cancelled at once, at least 0 ms before their deadline, so most never run.
        #expect(counter.fired.withLock { $0 } >= expected)
        #expect(counter.fired.withLock { $0 } <= total)
    }
}

import Testing
import Synchronization
@testable import RPC

@Suite struct DeadlineTimerTests {
    final class Counter: Sendable {
        let fired = Mutex(0)
        var value: Int { fired.withLock { $0 } }
    }

    @Test func everyScheduledActionFiresAndCancelledOnesDoNot() async throws {
        let kept = Counter(), cancelled = Counter()
        let timer = DeadlineTimer()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<2000 {
                group.addTask {
                    if index % 4 == 0 {
                        // Due well after the cancel right below, so only a broken cancel runs it.
                        let token = timer.schedule(at: .now + .milliseconds(200)) { cancelled.fired.withLock { $0 += 1 } }
                        timer.cancel(token)
                    } else {
                        timer.schedule(at: start + .milliseconds(Int64(index % 50))) { kept.fired.withLock { $0 += 1 } }
                    }
                }
            }
        }
        let allScheduled = ContinuousClock.now
        let end = ContinuousClock.now + .seconds(10)
        while kept.value < 1500 && ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        // Past every cancelled action's deadline.
        try await Task.sleep(until: allScheduled + .milliseconds(400))
        #expect(kept.value == 1500)
        #expect(cancelled.value == 0)
    }
}

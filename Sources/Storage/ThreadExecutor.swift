internal import Foundation

/// A serial executor that runs its jobs, in order, on one thread of its own, so that blocking
/// work (SQLite calls here; password hashing in services) never occupies a thread of Swift's
/// cooperative pool.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked Sendable: `pending` and `isStopping` are read and written only while
    // `condition` (a mutex with a condition variable) is locked.
    private enum Work {
        case job(UnownedJob)
        case block(@Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var pending: [Work] = []
    private var isStopping = false

    /// Starts the thread; it runs until ``stop()`` and holds the executor alive until then.
    ///
    /// - Parameter name: the thread's name in debuggers and `/proc`; Linux keeps 15 bytes of it.
    public init(name: String) {
        let thread = Thread { [self] in runLoop() }
        thread.start()
        // Name the thread from its own first job. swift-corelibs-foundation drops a name set
        // before `start()` returns, and its thread prologue can overwrite one set from outside;
        // by the time this job runs, both are past. Linux refuses names over 15 bytes.
        let osName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        append(.block { Thread.current.name = osName })
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        append(.job(UnownedJob(job)))
    }

    /// Lets the thread exit once the work already queued has run.
    public func stop() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the thread and returns its result to the caller (who may be on any thread).
    public func run<T>(_ body: @escaping @Sendable () throws -> sending T) async throws -> sending T {
        try await withCheckedThrowingContinuation { continuation in
            append(.block {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            })
        }
    }

    /// Queues `body` to run on the thread after what is queued already, without waiting for
    /// it: work handed over in order, piece after piece, with no task switch for each.
    public func submit(_ body: @escaping @Sendable () -> Void) {
        append(.block(body))
    }

    private func append(_ work: Work) {
        condition.lock()
        pending.append(work)
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        let executor = asUnownedSerialExecutor()
        var batch: [Work] = []
        while true {
            condition.lock()
            while pending.isEmpty && !isStopping {
                condition.wait()
            }
            // Take everything queued at once: one lock round-trip per batch, not per job.
            swap(&batch, &pending)
            let finished = batch.isEmpty && isStopping
            condition.unlock()
            if finished { return }

            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: executor)
                case .block(let body): body()
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

internal import Foundation
internal import Synchronization

/// The memory a watched process used during a run, from `/proc/PID/status`.
public struct MemoryPeak: Sendable, Equatable {
    public var pid: Int32
    /// The highest VmRSS of the samples (every `MemoryWatch.interval`).
    public var sampledPeakBytes: UInt64 = 0
    /// VmRSS at the start and the end of the run.
    public var startBytes: UInt64 = 0
    public var endBytes: UInt64 = 0
    /// The kernel's VmHWM at the end: the exact peak RSS since the run started when
    /// `hwmReset`, else since the process started.
    public var highWaterBytes: UInt64 = 0
    public var hwmReset = false
    public var samples = 0

    /// The run's peak: the kernel's when it counts from the run's start, else the samples'.
    public var peakBytes: UInt64 { hwmReset ? Swift.max(highWaterBytes, sampledPeakBytes) : sampledPeakBytes }
}

/// A process that cannot be watched, and why.
public struct MemoryWatchError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Samples another process's resident memory on a thread of its own while a run lasts.
/// At the start it resets the kernel's high-water mark (`/proc/PID/clear_refs`, value 5; the
/// process must be the caller's), so VmHWM at the end is the run's exact peak, samples or not.
final class MemoryWatch: Sendable {
    static let interval: Duration = .milliseconds(10)

    private struct State {
        var peak: MemoryPeak
        var stopping = false
        var finished: CheckedContinuation<MemoryPeak, Never>?
        var result: MemoryPeak?
    }

    private let state: Mutex<State>
    let pid: Int32

    /// Fails when the process's status cannot be read (no such process, or not Linux).
    init(pid: Int32) throws(MemoryWatchError) {
        self.pid = pid
        guard let status = Self.status(pid), let rss = status["VmRSS"] else {
            throw MemoryWatchError(description: "--watch-pid: cannot read the memory of process \(pid) (/proc/\(pid)/status)")
        }
        var peak = MemoryPeak(pid: pid)
        peak.startBytes = rss
        peak.sampledPeakBytes = rss
        state = Mutex(State(peak: peak))
    }

    /// Starts sampling (and resets the high-water mark) on a thread of its own.
    func start() {
        let thread = Thread { [self] in sample() }
        thread.start()
    }

    /// Stops sampling; the peak with the end's VmRSS and VmHWM.
    func stop() async -> MemoryPeak {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> MemoryPeak? in
                state.stopping = true
                if let result = state.result { return result }
                state.finished = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private func sample() {
        let reset = (try? "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)) != nil
        state.withLock { $0.peak.hwmReset = reset }
        let pause = Double(Self.interval.components.attoseconds) / 1e18 + Double(Self.interval.components.seconds)
        while true {
            let status = Self.status(pid)
            let stopping = state.withLock { state -> Bool in
                if let rss = status?["VmRSS"] {
                    state.peak.samples += 1
                    state.peak.sampledPeakBytes = max(state.peak.sampledPeakBytes, rss)
                    state.peak.endBytes = rss
                }
                if let hwm = status?["VmHWM"] { state.peak.highWaterBytes = hwm }
                return state.stopping
            }
            if stopping || status == nil { break }
            Thread.sleep(forTimeInterval: pause)
        }
        let waiter = state.withLock { state -> (CheckedContinuation<MemoryPeak, Never>, MemoryPeak)? in
            state.result = state.peak
            defer { state.finished = nil }
            return state.finished.map { ($0, state.peak) }
        }
        if let (continuation, peak) = waiter { continuation.resume(returning: peak) }
    }

    /// The `kB` lines of `/proc/PID/status`, in bytes; nil when it cannot be read.
    static func status(_ pid: Int32) -> [String: UInt64]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") else { return nil }
        var values: [String: UInt64] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasSuffix(" kB") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let number = line[line.index(after: colon)...].dropLast(3).trimmingCharacters(in: .whitespaces)
            if let kilobytes = UInt64(number) { values[String(line[..<colon])] = kilobytes * 1024 }
        }
        return values
    }
}

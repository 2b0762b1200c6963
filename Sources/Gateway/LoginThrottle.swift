internal import Synchronization
internal import Foundation

/// Back-off for log-ins from one client address: after 5 failures in a row, each further
/// attempt waits, doubling from 2 s to 5 minutes; a success clears it. The catalog also
/// locks the account itself, so guessing across addresses gains nothing.
final class LoginThrottle: Sendable {
    private struct Entry {
        var failures: Int
        var blockedUntil: Date
    }
    private let entries = Mutex<[String: Entry]>([:])
    static let freeFailures = 5
    static let maxEntries = 100_000

    /// Seconds to wait before trying again, or nil when the address may try now.
    func wait(for address: String, now: Date = Date()) -> Int? {
        entries.withLock { entries in
            guard let entry = entries[address], entry.blockedUntil > now else { return nil }
            return max(1, Int(entry.blockedUntil.timeIntervalSince(now).rounded(.up)))
        }
    }

    func failed(_ address: String, now: Date = Date()) {
        entries.withLock { entries in
            if entries.count >= Self.maxEntries { entries = entries.filter { $0.value.blockedUntil > now } }
            var entry = entries[address] ?? Entry(failures: 0, blockedUntil: now)
            entry.failures += 1
            if entry.failures >= Self.freeFailures {
                let seconds = min(300.0, 2.0 * pow(2.0, Double(entry.failures - Self.freeFailures)))
                entry.blockedUntil = now.addingTimeInterval(seconds)
            }
            entries[address] = entry
        }
    }

    func succeeded(_ address: String) {
        _ = entries.withLock { $0.removeValue(forKey: address) }
    }
}

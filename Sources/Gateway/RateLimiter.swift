internal import Synchronization
internal import Foundation

/// A token bucket per client address, for the public verification page and API: each
/// address holds up to `perMinute` tokens, refilled evenly over a minute; a request takes
/// one, and with none left the answer is 429 with the seconds until the next token.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    let capacity: Double
    /// Tokens per second.
    let rate: Double
    static let maxEntries = 100_000

    init(perMinute: Int) {
        capacity = Double(max(1, perMinute))
        rate = capacity / 60
    }

    /// nil when `address` may go ahead (a token is taken), else the seconds to wait.
    func take(_ address: String, now: Date = Date()) -> Int? {
        buckets.withLock { buckets in
            if buckets.count >= Self.maxEntries {
                // Full buckets are the same as absent ones: forget them.
                buckets = buckets.filter { self.level($0.value, now: now) < capacity }
            }
            var bucket = buckets[address] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = level(bucket, now: now)
            bucket.updated = now
            defer { buckets[address] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate - 1e-6).rounded(.up)))
        }
    }

    private func level(_ bucket: Bucket, now: Date) -> Double {
        min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
    }
}

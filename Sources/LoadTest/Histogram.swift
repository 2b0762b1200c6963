/// A latency histogram with bounded memory and about 1.6% relative precision: log-linear
/// buckets (64 sub-buckets per power of two) of nanosecond values, as HdrHistogram does.
public struct Histogram: Sendable, Equatable {
    static let subBucketBits = 6
    static let subBuckets = 1 << subBucketBits

    private var counts = [UInt64](repeating: 0, count: 64 * (1 << 6))
    public private(set) var count: UInt64 = 0
    public private(set) var max: UInt64 = 0
    public private(set) var min: UInt64 = .max
    private var sum: Double = 0

    public init() {}

    static func index(of value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount            // ≥ subBucketBits
        let shift = exponent - subBucketBits
        let mantissa = Int(value >> UInt64(shift)) - subBuckets    // 0..<subBuckets
        return (shift + 1) * subBuckets + mantissa
    }

    /// The largest value that falls in bucket `index` (reported values err upwards).
    static func upperBound(of index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let shift = index / subBuckets - 1
        let mantissa = UInt64(index % subBuckets + subBuckets)
        return ((mantissa + 1) << UInt64(shift)) - 1
    }

    public mutating func record(_ nanoseconds: UInt64) {
        counts[Self.index(of: nanoseconds)] += 1
        count += 1
        sum += Double(nanoseconds)
        if nanoseconds > max { max = nanoseconds }
        if nanoseconds < min { min = nanoseconds }
    }

    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        record(seconds < 0 ? 0 : UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
    }

    public mutating func merge(_ other: Histogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        sum += other.sum
        max = Swift.max(max, other.max)
        min = Swift.min(min, other.min)
    }

    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// The value at percentile `p` (0...100), in nanoseconds; the exact max at 100.
    public func percentile(_ p: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        if p >= 100 { return max }
        let rank = Swift.max(1, UInt64((p / 100 * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= rank { return Swift.min(Self.upperBound(of: index), max) }
        }
        return max
    }
}

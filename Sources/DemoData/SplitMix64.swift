/// SplitMix64 (Steele, Lea and Flood): small, fast and the same on every platform, so a seed
/// always gives the same data. Never `SystemRandomNumberGenerator`.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A stream of its own for each purpose, so adding draws to one doesn't shift another.
    init(seed: UInt64, stream: UInt64) { state = Self.mix(seed ^ Self.mix(stream &+ 0x5851_F42D_4C95_7F2D)) }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<count (Lemire's multiply-high; the tiny bias doesn't matter here).
    mutating func below(_ count: Int) -> Int {
        precondition(count > 0)
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(count)).high)
    }

    mutating func between(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
}

/// Picks an index with probability proportional to its weight.
struct WeightedPicker: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        precondition(!weights.isEmpty)
        var total = 0.0
        cumulative = weights.map { total += $0; return total }
    }

    func pick(using random: inout SplitMix64) -> Int {
        let target = random.unit() * cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

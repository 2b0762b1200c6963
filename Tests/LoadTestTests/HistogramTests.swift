import Testing
@testable import LoadTest
import Flags

@Suite struct HistogramTests {
    @Test func percentilesOfAUniformRangeAreWithinPrecision() {
        var histogram = Histogram()
        for value in 1...100_000 { histogram.record(UInt64(value) * 1000) }  // 1 µs … 100 ms
        #expect(histogram.count == 100_000)
        for (p, exact) in [(50.0, 50_000_000.0), (90, 90_000_000), (99, 99_000_000), (99.9, 99_900_000)] {
            let reported = Double(histogram.percentile(p))
            #expect(abs(reported - exact) / exact < 0.02, "p\(p): \(reported) vs \(exact)")
        }
        #expect(histogram.percentile(100) == 100_000_000)
        #expect(histogram.max == 100_000_000)
        #expect(histogram.min == 1000)
    }

    @Test func smallValuesAreExact() {
        var histogram = Histogram()
        for value in [0, 1, 2, 63] as [UInt64] { histogram.record(value) }
        #expect(histogram.percentile(25) == 0)
        #expect(histogram.percentile(50) == 1)
        #expect(histogram.percentile(75) == 2)
        #expect(histogram.percentile(100) == 63)
    }

    @Test func bucketBoundsContainTheirValues() {
        for value: UInt64 in [64, 65, 127, 128, 1000, 123_456_789, 1 << 40, UInt64.max / 2] {
            let index = Histogram.index(of: value)
            #expect(Histogram.upperBound(of: index) >= value)
            #expect(index == 0 || Histogram.upperBound(of: index - 1) < value)
        }
    }

    @Test func mergingAddsCounts() {
        var a = Histogram(), b = Histogram()
        for value in 1...100 { a.record(UInt64(value)) }
        for value in 101...200 { b.record(UInt64(value)) }
        a.merge(b)
        #expect(a.count == 200)
        #expect(a.max == 200)
        #expect(a.percentile(50) >= 100 && a.percentile(50) <= 102)
    }

    @Test func anEmptyHistogramReportsZero() {
        #expect(Histogram().percentile(99) == 0)
        #expect(Histogram().mean == 0)
    }
}

@Suite struct LoadCommandTests {
    @Test func refusesNonPositiveCountsNamingTheFlag() throws {
        let arguments = CommandLineArguments(["--concurrency", "0", "--messages", "3"])
        #expect(throws: CommandLineArguments.Failure(description: "--concurrency: must be at least 1, not 0")) {
            try LoadCommand.positive(arguments, "--concurrency")
        }
        #expect(try LoadCommand.positive(arguments, "--messages") == 3)
        #expect(try LoadCommand.positive(arguments, "--connections") == nil)
    }
}

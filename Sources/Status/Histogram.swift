/// A Prometheus histogram as a plain value: counts of observations at most each bound (kept per
/// bucket here, summed into the cumulative `_bucket{le=...}` series when exposed), their sum and
/// their number. Observing is O(buckets), allocation-free; copying it is cheap, so it travels
/// inside ``StatusSnapshot``.
public struct Histogram: Sendable, Equatable {
    /// Upper bounds, strictly increasing; `+Inf` is implied after the last.
    public let bounds: [Double]
    /// Observations in each bucket: `bucketCounts[i]` for `bounds[i - 1] < v <= bounds[i]`,
    /// the last for `v > bounds.last`.
    public private(set) var bucketCounts: [Int]
    public private(set) var sum = 0.0
    public private(set) var count = 0

    /// Bounds for durations of a training step's parts, 5 ms to 1 min.
    public static let secondsBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    public init(bounds: [Double] = Histogram.secondsBounds) {
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram bounds must increase")
        self.bounds = bounds
        bucketCounts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Records `value`; a NaN is not an observation and is dropped.
    public mutating func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let bucket = bounds.firstIndex { value <= $0 } ?? bounds.count
        bucketCounts[bucket] += 1
        sum += value
        count += 1
    }

    /// `(le, cumulative count)` per bound, then `(+Inf, count)`.
    public var cumulative: [(bound: Double, count: Int)] {
        var running = 0
        return (bounds + [.infinity]).enumerated().map { i, bound in
            running += bucketCounts[i]
            return (bound, running)
        }
    }
}

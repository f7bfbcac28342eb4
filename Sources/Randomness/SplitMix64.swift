/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014).
///
/// Every random choice in the project (initialisation, shuffling, augmentation, dropout,
/// synthetic data) draws from one of these, seeded from the run's seed and a purpose tag,
/// so a seeded run is reproducible bit for bit and independent of thread or worker count.
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one purpose within a run, e.g. `SplitMix64(seed: 7, stream: "shuffle", 3)`.
    /// Streams with different tags or indices are statistically independent.
    public init(seed: UInt64, stream tag: String, _ index: UInt64 = 0) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the tag
        for byte in tag.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var mixer = SplitMix64(seed: seed ^ h)
        let a = mixer.next()
        mixer.state ^= index &* 0x9e37_79b9_7f4a_7c15
        state = a ^ mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits: exactly representable as Float.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform integer in 0..<bound without modulo bias (Lemire's method).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }
}

/// Fisher-Yates permutation of `0..<count` from the given generator.
public func shuffledIndices(count: Int, using rng: inout SplitMix64) -> [Int] {
    var order = Array(0..<count)
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, rng.nextIndex(below: i + 1))
        }
    }
    return order
}

/// How P(FAKE) is spread over the test samples of each class: counts in equal-width bins of
/// [0, 1]. A good detector piles REAL near 0 and FAKE near 1.
public struct ScoreHistogram: Sendable, Equatable {
    /// Bin edges, `binCount + 1` values from 0 to 1.
    public var edges: [Double]
    /// Counts of REAL (label 0) samples per bin.
    public var real: [Int]
    /// Counts of FAKE (label 1) samples per bin.
    public var fake: [Int]

    /// A score p (clamped to [0, 1]) falls in bin min(floor(p * binCount), binCount - 1).
    public init(probabilities: [Float], labels: [UInt8], binCount: Int = 20) {
        precondition(probabilities.count == labels.count, "ScoreHistogram: \(probabilities.count) probabilities, \(labels.count) labels")
        precondition(binCount >= 1, "ScoreHistogram: expected at least one bin, found \(binCount)")
        edges = (0...binCount).map { Double($0) / Double(binCount) }
        real = [Int](repeating: 0, count: binCount)
        fake = real
        for (p, label) in zip(probabilities, labels) {
            let q = Double(min(max(p, 0), 1))
            let b = min(Int(q * Double(binCount)), binCount - 1)
            if label == 1 { fake[b] += 1 } else { real[b] += 1 }
        }
    }
}

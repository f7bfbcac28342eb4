/// Reliability of P(FAKE) as a probability: the test samples in equal-width bins of their score,
/// and per bin the mean score beside the fraction that really is FAKE. A calibrated model has
/// the two equal in every bin.
public struct Calibration: Sendable, Equatable {
    public struct Bin: Sendable, Equatable {
        /// The bin covers `lower ..< upper` (the last bin includes 1).
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Mean P(FAKE) of the bin's samples; nil when empty.
        public var meanPredicted: Double?
        /// Fraction of the bin's samples that are FAKE; nil when empty.
        public var fractionFake: Double?

        public init(lower: Double, upper: Double, count: Int, meanPredicted: Double?, fractionFake: Double?) {
            self.lower = lower; self.upper = upper; self.count = count
            self.meanPredicted = meanPredicted; self.fractionFake = fractionFake
        }
    }

    /// `binCount` bins from 0 to 1, empty ones included.
    public var bins: [Bin]
    /// Expected calibration error: sum over bins of count / n * |fractionFake - meanPredicted|.
    public var expectedCalibrationError: Double
    /// The largest |fractionFake - meanPredicted| over non-empty bins.
    public var maximumCalibrationError: Double

    /// Bins `probabilities` (P(FAKE), clamped to [0, 1]) into `binCount` equal bins: a score p
    /// falls in bin min(floor(p * binCount), binCount - 1).
    public init(probabilities: [Float], labels: [UInt8], binCount: Int = 10) {
        precondition(probabilities.count == labels.count, "Calibration: \(probabilities.count) probabilities, \(labels.count) labels")
        precondition(binCount >= 1, "Calibration: expected at least one bin, found \(binCount)")
        var sums = [Double](repeating: 0, count: binCount), fakes = [Int](repeating: 0, count: binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for (p, label) in zip(probabilities, labels) {
            let q = Double(min(max(p, 0), 1))
            let b = min(Int(q * Double(binCount)), binCount - 1)
            sums[b] += q
            counts[b] += 1
            if label == 1 { fakes[b] += 1 }
        }
        let n = Double(max(1, probabilities.count))
        var ece = 0.0, mce = 0.0
        bins = (0..<binCount).map { b in
            let lower = Double(b) / Double(binCount), upper = Double(b + 1) / Double(binCount)
            guard counts[b] > 0 else { return Bin(lower: lower, upper: upper, count: 0, meanPredicted: nil, fractionFake: nil) }
            let mean = sums[b] / Double(counts[b]), fraction = Double(fakes[b]) / Double(counts[b])
            ece += Double(counts[b]) / n * abs(fraction - mean)
            mce = max(mce, abs(fraction - mean))
            return Bin(lower: lower, upper: upper, count: counts[b], meanPredicted: mean, fractionFake: fraction)
        }
        expectedCalibrationError = ece
        maximumCalibrationError = mce
    }
}

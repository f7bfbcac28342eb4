/// The kept model's verdict on every test image: what the precision-recall curve, calibration,
/// score histograms and per-class accuracy are computed from.
public struct TestPredictions: Sendable, Equatable {
    /// P(FAKE) per image, [n].
    public var probabilities: [Float]
    /// [n], 0 = REAL, 1 = FAKE.
    public var labels: [UInt8]
    /// Each image's CIFAR-10 class (from its file name), nil when the name does not say, [n].
    public var classes: [String?]
    /// The class names in the order the report lists them.
    public var classOrder: [String]
    /// Predicted FAKE when P(FAKE) >= threshold.
    public var threshold: Float

    public init(probabilities: [Float], labels: [UInt8], classes: [String?], classOrder: [String], threshold: Float = 0.5) {
        precondition(probabilities.count == labels.count && classes.count == labels.count,
                     "TestPredictions: \(probabilities.count) probabilities, \(labels.count) labels, \(classes.count) classes")
        self.probabilities = probabilities; self.labels = labels; self.classes = classes
        self.classOrder = classOrder; self.threshold = threshold
    }
}

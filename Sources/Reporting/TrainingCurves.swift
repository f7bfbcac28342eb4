/// A run's values per epoch, as `history.jsonl` holds them; nil where an epoch has no value
/// (no validation hold-out, no separate test set).
public struct TrainingCurves: Sendable, Equatable {
    /// Epoch numbers, from 1.
    public var epochs: [Int]
    public var trainLoss: [Double]
    public var validationLoss: [Double?]
    public var trainAccuracy: [Double]
    public var validationAccuracy: [Double?]
    /// Accuracy on a separate test set, logged as a monitor only.
    public var testAccuracy: [Double?]
    /// The epoch whose model was kept (best validation accuracy), if known.
    public var keptEpoch: Int?

    public init(epochs: [Int] = [], trainLoss: [Double] = [], validationLoss: [Double?] = [], trainAccuracy: [Double] = [],
                validationAccuracy: [Double?] = [], testAccuracy: [Double?] = [], keptEpoch: Int? = nil) {
        precondition([trainLoss.count, validationLoss.count, trainAccuracy.count, validationAccuracy.count, testAccuracy.count]
                        .allSatisfy { $0 == epochs.count },
                     "TrainingCurves: expected \(epochs.count) values per curve")
        self.epochs = epochs
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.testAccuracy = testAccuracy
        self.keptEpoch = keptEpoch
    }

    public var isEmpty: Bool { epochs.isEmpty }
}

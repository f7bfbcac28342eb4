/// One line of a run's `history.jsonl`.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Accuracy on the separate test set (`test_data`), logged as a monitor only.
    public var testAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    public var best: Bool

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double?, validationAccuracy: Double?,
                testAccuracy: Double?, learningRate: Double, seconds: Double, imagesPerSecond: Double, best: Bool) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss; self.validationAccuracy = validationAccuracy; self.testAccuracy = testAccuracy
        self.learningRate = learningRate; self.seconds = seconds; self.imagesPerSecond = imagesPerSecond; self.best = best
    }

    enum CodingKeys: String, CodingKey {
        case epoch
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case validationLoss = "val_loss"
        case validationAccuracy = "val_accuracy"
        case testAccuracy = "test_accuracy"
        case learningRate = "learning_rate"
        case seconds
        case imagesPerSecond = "images_per_second"
        case best
    }
}

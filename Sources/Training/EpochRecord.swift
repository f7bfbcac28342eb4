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

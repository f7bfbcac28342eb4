/// A run's per-step values, as `steps.jsonl` holds them: one point per record, each the mean
/// over the steps since the previous record.
public struct StepCurves: Sendable, Equatable {
    /// Global steps completed at each record (1-based), increasing.
    public var steps: [Int]
    /// Mean training loss (binary cross-entropy) of the record's steps.
    public var loss: [Double]
    public var accuracy: [Double]
    public var learningRate: [Double]
    /// Training images per second over the record's steps.
    public var imagesPerSecond: [Double]
    /// Steps per epoch, to mark epochs on the step axis; nil when unknown.
    public var stepsPerEpoch: Int?

    public init(steps: [Int] = [], loss: [Double] = [], accuracy: [Double] = [], learningRate: [Double] = [],
                imagesPerSecond: [Double] = [], stepsPerEpoch: Int? = nil) {
        precondition([loss.count, accuracy.count, learningRate.count, imagesPerSecond.count].allSatisfy { $0 == steps.count },
                     "StepCurves: expected \(steps.count) values per curve")
        self.steps = steps; self.loss = loss; self.accuracy = accuracy; self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond; self.stepsPerEpoch = stepsPerEpoch
    }

    public var isEmpty: Bool { steps.isEmpty }
}

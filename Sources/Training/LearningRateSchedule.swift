import Foundation

/// The learning rate at each optimizer step: constant (Keras's default recipe) or a linear
/// warm-up followed by cosine decay to a floor.
public struct LearningRateSchedule: Sendable, Equatable {
    public var base: Float
    public var cosine: Bool
    public var warmupSteps: Int
    public var totalSteps: Int
    public var floorFraction: Float

    public init(config: TrainingConfig, stepsPerEpoch: Int) {
        base = config.learningRate
        cosine = config.schedule == "cosine"
        warmupSteps = Int(config.warmupEpochs * Double(stepsPerEpoch))
        totalSteps = max(1, config.epochs * stepsPerEpoch)
        floorFraction = config.minLearningRateFraction
    }

    /// Rate for step `step` (0-based).
    public func rate(at step: Int) -> Float {
        guard cosine else { return base }
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        let decay = 0.5 * (1 + cos(Double.pi * min(1, progress)))
        return base * (floorFraction + (1 - floorFraction) * Float(decay))
    }
}

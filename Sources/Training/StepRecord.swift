import Foundation

/// One line of a run's `steps.jsonl`: the training steps since the previous line, averaged.
///
/// ```
/// {"step":120,"epoch":3,"steps":1,"samples":32,"loss":0.41234,"accuracy":0.8125,"lr":0.001,"images_per_second":1523.4,"time":1767225600.25}
/// ```
public struct StepRecord: Codable, Sendable, Equatable {
    /// Global steps completed (1-based): the last step this line covers.
    public var step: Int
    /// The epoch of that step, from 1.
    public var epoch: Int
    /// How many steps the line averages.
    public var steps: Int
    /// Training images in those steps.
    public var samples: Int
    /// Mean binary cross-entropy over the images.
    public var loss: Double
    public var accuracy: Double
    /// The learning rate of the last step.
    public var learningRate: Double
    /// Images over the steps' own seconds (forward, backward, update, all-reduce).
    public var imagesPerSecond: Double
    /// Seconds since the Unix epoch when the last step ended.
    public var time: Double

    public init(step: Int, epoch: Int, steps: Int, samples: Int, loss: Double, accuracy: Double, learningRate: Double,
                imagesPerSecond: Double, time: Double) {
        self.step = step; self.epoch = epoch; self.steps = steps; self.samples = samples; self.loss = loss
        self.accuracy = accuracy; self.learningRate = learningRate; self.imagesPerSecond = imagesPerSecond; self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, steps, samples, loss, accuracy, time
        case learningRate = "lr"
        case imagesPerSecond = "images_per_second"
    }

    /// The JSON line, newline included: fixed key order, values rounded to what a plot needs.
    public var line: String {
        func g(_ v: Double, _ digits: Int) -> String { v.isFinite ? String(format: "%.\(digits)g", v) : "null" }
        return "{\"step\":\(step),\"epoch\":\(epoch),\"steps\":\(steps),\"samples\":\(samples),\"loss\":\(g(loss, 6)),"
            + "\"accuracy\":\(g(accuracy, 6)),\"lr\":\(g(learningRate, 6)),\"images_per_second\":\(g(imagesPerSecond, 6)),"
            + "\"time\":\(String(format: "%.3f", time))}\n"
    }
}

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

/// Turns a run's steps into `StepRecord`s, at most about `maxRecords` of them however long the
/// run: a record closes every `every` steps, at the end of each epoch, and when flushed (at a
/// checkpoint, so a resumed run finds every step up to its checkpoint recorded, and none after).
/// Pure: the caller passes the time and writes the records.
public struct StepRecorder: Sendable, Equatable {
    public static let maxRecords = 10_000
    /// Steps per record (at least 1).
    public let every: Int
    public let stepsPerEpoch: Int
    private var steps = 0, samples = 0, lossSum = 0.0, correct = 0.0, seconds = 0.0
    private var last: (step: Int, epoch: Int, learningRate: Double, time: Double)?

    public init(totalSteps: Int, stepsPerEpoch: Int, maxRecords: Int = StepRecorder.maxRecords) {
        every = max(1, (totalSteps + maxRecords - 1) / max(1, maxRecords))
        self.stepsPerEpoch = max(1, stepsPerEpoch)
    }

    /// Adds one completed step; returns a record when it closes one.
    ///
    /// - Parameters:
    ///   - step: global steps completed (1-based).
    ///   - lossSum: the loss summed over the step's images; `correct`: how many were right.
    ///   - seconds: the step's own duration.
    public mutating func add(step: Int, epoch: Int, samples: Int, lossSum: Double, correct: Double, seconds: Double,
                             learningRate: Double, time: Double) -> StepRecord? {
        steps += 1
        self.samples += samples
        self.lossSum += lossSum
        self.correct += correct
        self.seconds += seconds
        last = (step, epoch, learningRate, time)
        guard step % every == 0 || step % stepsPerEpoch == 0 else { return nil }
        return flush()
    }

    /// The steps added since the last record, as one record; nil when there are none.
    public mutating func flush() -> StepRecord? {
        guard let last, steps > 0 else { return nil }
        let n = Double(max(1, samples))
        let record = StepRecord(step: last.step, epoch: last.epoch, steps: steps, samples: samples, loss: lossSum / n, accuracy: correct / n,
                                learningRate: last.learningRate, imagesPerSecond: Double(samples) / max(seconds, 1e-9), time: last.time)
        (steps, samples, lossSum, correct, seconds) = (0, 0, 0, 0, 0)
        self.last = nil
        return record
    }

    public static func == (a: StepRecorder, b: StepRecorder) -> Bool {
        a.every == b.every && a.stepsPerEpoch == b.stepsPerEpoch && a.steps == b.steps && a.samples == b.samples
            && a.lossSum == b.lossSum && a.correct == b.correct && a.seconds == b.seconds && a.last?.step == b.last?.step
    }
}

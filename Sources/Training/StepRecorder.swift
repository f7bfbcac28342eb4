/// Turns a run's steps into `StepRecord`s, at most about `maxRecords` of them however long the
/// run: a record closes every `every` steps, at the end of each epoch, and when flushed (at a
/// checkpoint, so a resumed run finds every step up to its checkpoint recorded, and none after).
/// Pure: the caller passes the time and writes the records.
public struct StepRecorder: Sendable {
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
}

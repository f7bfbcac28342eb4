import Checkpoints
import Coordination
import Dataset
import Dispatch
import Kernels
import Model
import Randomness

/// Sums the gradient buffer across replicas in place. A single process has nothing to sum; the
/// cluster's worker supplies a ring all-reduce.
public protocol GradientReducer: AnyObject {
    var rank: Int { get }
    var worldSize: Int { get }
    /// Called during backward, once per step and before `allReduce`, when `range` (the end of
    /// the buffer) holds final gradients: a reducer may start summing it while the rest is
    /// computed. Every replica calls it with the same range.
    func gradientsReady(_ gradients: FloatBuffer, range: Range<Int>, step: Int)
    /// Sums the whole buffer across replicas (finishing what `gradientsReady` started).
    func allReduce(_ gradients: FloatBuffer, step: Int) throws
    /// After `allReduce`: gradients the reducer supplies block by block to the optimizer instead
    /// of writing them into the buffer (PowerSGD reconstructs its approximation there); nil when
    /// the buffer holds them all.
    var deferredGradients: Adam.BlockGradients? { get }
    /// Ranges of the gradient buffer that hold the reducer's own state between steps (PowerSGD's
    /// error feedback) and must not be zeroed: backward adds the step's gradient on top.
    var retainedGradients: [Range<Int>] { get }
}

extension GradientReducer {
    public func gradientsReady(_ gradients: FloatBuffer, range: Range<Int>, step: Int) {}
    public var deferredGradients: Adam.BlockGradients? { nil }
    public var retainedGradients: [Range<Int>] { [] }
}

/// The single-process reducer: one replica, nothing to sum.
public final class SoloReducer: GradientReducer {
    public init() {}
    public var rank: Int { 0 }
    public var worldSize: Int { 1 }
    public func allReduce(_ gradients: FloatBuffer, step: Int) throws {}
}

/// What one optimizer step did on this replica.
public struct StepStats: Sendable {
    public var loss: Double = 0       // summed over this replica's samples
    public var correct = 0
    public var samples = 0
    public var computeSeconds = 0.0
    public var reduceSeconds = 0.0
    public var learningRate: Float = 0
}

/// The heart of training: next batch, then ``OptimizerStep``: zero grads, forward, backward,
/// all-reduce, update.
///
/// The global batch (`config.batchSize`) is the unit of an optimizer step; a replica of rank r
/// among N computes the gradient of its slice, averaged over the *global* batch, so the summed
/// gradient, and hence every weight, is the same whatever N is (up to float rounding).
/// Sample order and augmentation depend only on the seed, epoch and position in the epoch.
public final class Trainer {
    public let config: TrainingConfig
    public let network: Network
    public let adam: Adam
    public let train: ImageSet
    /// Replaced when the cluster's membership changes (a new ring generation).
    public var reducer: GradientReducer
    public let schedule: LearningRateSchedule
    public let stepsPerEpoch: Int
    /// Optimizer steps completed.
    public private(set) var globalStep = 0

    private let images: FloatBuffer
    private let labels: FloatBuffer
    private let dLogits: FloatBuffer
    private let maxLocal: Int

    public init(config: TrainingConfig, train: ImageSet, reducer: GradientReducer = SoloReducer()) {
        precondition(train.count > 0, "training set is empty")
        self.config = config
        self.train = train
        self.reducer = reducer
        let b = config.batchSize
        // Room for the whole global batch: the replica keeps working if the cluster shrinks to one.
        maxLocal = b
        network = Network(architecture: config.architecture, maxBatch: max(maxLocal, Self.inferenceBatch), threads: config.threads)
        network.initialize(seed: config.seed)
        adam = Adam(parameterCount: network.layout.count, hyper: { var h = Adam.Hyperparameters(); h.learningRate = config.learningRate; return h }())
        stepsPerEpoch = (train.count + b - 1) / b
        schedule = LearningRateSchedule(config: config, stepsPerEpoch: stepsPerEpoch)
        images = FloatBuffer(count: network.maxBatch * ImageSet.bytesPerImage)
        labels = FloatBuffer(count: network.maxBatch)
        dLogits = FloatBuffer(count: network.maxBatch)
    }

    static let inferenceBatch = 256

    /// The sample order of an epoch (seed and epoch only).
    public func order(epoch: Int) -> [Int] {
        EpochOrder.permutation(count: train.count, seed: config.seed, epoch: epoch)
    }

    /// One optimizer step: step `stepInEpoch` of `epoch`, whose sample order is `order`.
    public func step(epoch: Int, stepInEpoch: Int, order: [Int]) throws -> StepStats {
        let start = stepInEpoch * config.batchSize
        let globalCount = min(config.batchSize, order.count - start)
        let part = ShardPlan.slice(globalBatch: globalCount, worldSize: reducer.worldSize, rank: reducer.rank)
        let n = part.count
        var stats = StepStats()
        let began = DispatchTime.now().uptimeNanoseconds
        let augmentation = config.augmentation
        for i in 0..<n {
            let position = start + part.lowerBound + i
            var rng = SplitMix64(seed: config.seed, stream: "augment", UInt64(epoch) << 32 | UInt64(position))
            fillBatch(images: images.pointer + i * ImageSet.bytesPerImage, labels: labels.pointer + i,
                      from: train, indices: CollectionOfOne(order[position]), augmentation: augmentation, rng: &rng)
        }
        stats.samples = n
        stats.learningRate = schedule.rate(at: globalStep)
        let (labels, globalStep) = (self.labels, self.globalStep)
        let timing = try OptimizerStep(network: network, adam: adam, reducer: reducer, threads: config.threads, dLogits: dLogits)
            .run(step: globalStep, images: images.pointer, labels: labels.pointer, count: n, globalCount: globalCount,
                 dropout: .init(seed: config.seed, step: globalStep, firstSample: part.lowerBound, rate: Float(config.dropout)),
                 learningRate: stats.learningRate) { logits in
                stats.loss = Double(BinaryCrossEntropy.forward(logits: logits, labels: labels.pointer, count: n)) * Double(n)
                for i in 0..<n where (logits[i] > 0) == (labels.pointer[i] > 0.5) { stats.correct += 1 }
            }
        self.globalStep += 1
        stats.computeSeconds = Double(timing.computed - began + timing.finished - timing.reduced) / 1e9
        stats.reduceSeconds = Double(timing.reduced - timing.computed) / 1e9
        return stats
    }

    /// Seconds of one step's forward and backward on this replica's share of a global batch,
    /// the second of two runs (the first warms caches and pages). Weights and the step are left
    /// as they were; the gradients are overwritten (every step zeroes them first), so a reducer
    /// must not be keeping state in them yet.
    public func measureComputeSeconds() -> Double {
        precondition(reducer.retainedGradients.isEmpty, "measureComputeSeconds would overwrite the reducer's state in the gradients")
        let n = max(1, ShardPlan.slice(globalBatch: config.batchSize, worldSize: reducer.worldSize, rank: reducer.rank).count)
        var rng = SplitMix64(seed: config.seed)
        fillBatch(images: images.pointer, labels: labels.pointer, from: train, indices: (0..<n).map { $0 % train.count },
                  augmentation: .none, rng: &rng)
        var seconds = 0.0
        for _ in 0..<2 {
            let began = DispatchTime.now().uptimeNanoseconds
            network.zeroGradients()
            let logits = network.forward(input: images.pointer, batch: n, dropout: nil)
            BinaryCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits, labels: labels.pointer, count: n, meanOver: n)
            network.backward(dLogits: dLogits.pointer)
            seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        }
        return seconds
    }

    /// This replica's state after `globalStep` steps, with the loop's own bookkeeping.
    public func checkpoint(configuration: String, progress: [String: String] = [:]) -> Checkpoint {
        Checkpoint(network: network, adam: adam,
                   state: TrainingState(step: globalStep, stepsPerEpoch: stepsPerEpoch, adamStep: adam.step, seed: config.seed,
                                        worldSize: reducer.worldSize, configuration: configuration, progress: progress))
    }

    /// Continues from a checkpoint of this run: weights, moments and the step (which fixes the
    /// data cursor, augmentation and dropout). Refuses one of another model, seed or epoch length.
    public func resume(from checkpoint: Checkpoint) throws(CheckpointError) {
        let s = checkpoint.state
        guard s.seed == config.seed else { throw .mismatch("checkpoint was trained with seed \(s.seed), this run uses \(config.seed)") }
        guard s.stepsPerEpoch == stepsPerEpoch else {
            throw .mismatch("checkpoint has \(s.stepsPerEpoch) steps per epoch, this run has \(stepsPerEpoch) (different data or batch size)")
        }
        let lastStep = config.epochs * stepsPerEpoch
        guard s.step <= lastStep else {
            throw .mismatch("checkpoint is at step \(s.step), past this run's last step \(lastStep) (\(config.epochs) epochs of \(stepsPerEpoch) steps)")
        }
        try checkpoint.restore(into: network, adam: adam)
        globalStep = s.step
    }

    /// P(FAKE) for every image of `set`, in order (inference mode: no dropout, no augmentation).
    public func predict(_ set: ImageSet) -> [Float] {
        Self.predict(set, with: network, images: images)
    }

    public static func predict(_ set: ImageSet, with network: Network, images: FloatBuffer? = nil) -> [Float] {
        predict(set, with: network, images: images, afterEachBatch: {})
    }

    /// `afterEachBatch` runs between batches (a cluster process heartbeats there during long scoring).
    public static func predict(_ set: ImageSet, with network: Network, images: FloatBuffer? = nil,
                               afterEachBatch: () throws -> Void) rethrows -> [Float] {
        let batch = network.maxBatch
        let buffer = images ?? FloatBuffer(count: batch * ImageSet.bytesPerImage)
        let labels = FloatBuffer(count: batch)
        var probabilities = [Float](repeating: 0, count: set.count)
        var rng = SplitMix64(seed: 0)
        var start = 0
        while start < set.count {
            let n = min(batch, set.count - start)
            fillBatch(images: buffer.pointer, labels: labels.pointer, from: set, indices: start..<(start + n), augmentation: .none, rng: &rng)
            let logits = network.forward(input: buffer.pointer, batch: n, dropout: nil)
            for i in 0..<n { probabilities[start + i] = BinaryCrossEntropy.sigmoid(logits[i]) }
            start += n
            try afterEachBatch()
        }
        return probabilities
    }
}

import Dispatch
import Kernels
import Model
import Randomness

/// One replica of the training benchmark: a network, Adam and one batch of random images, all
/// planned up front. `step()` is `Trainer.step` without the data loading: the same
/// ``OptimizerStep`` (zero gradients, forward, loss gradient, backward, all-reduce of the
/// gradient buffer, Adam), on a fixed batch. With the default
/// `SoloReducer` it is the single process; with the cluster's ring reducer it is one worker.
public final class BenchmarkReplica {
    public let network: Network
    public let adam: Adam
    public let reducer: GradientReducer
    /// Images per step on this replica.
    public let batch: Int
    public let threads: Int
    /// Steps taken so far.
    public private(set) var steps = 0

    private let images: FloatBuffer
    private let labels: FloatBuffer
    private let dLogits: FloatBuffer

    /// Wall time of one step, split as `Trainer` reports it to the coordinator.
    public struct StepTime: Sendable {
        /// Forward, backward and Adam, nanoseconds.
        public var computeNanoseconds: UInt64
        /// The all-reduce, waiting for the slowest peer included, nanoseconds.
        public var reduceNanoseconds: UInt64
    }

    /// Every replica starts from the same weights (seed 1); rank r gets its own random images
    /// (rank 0's are the single process's).
    public init(architecture: Architecture, batch: Int, threads: Int, reducer: GradientReducer = SoloReducer()) {
        self.batch = batch
        self.threads = threads
        self.reducer = reducer
        network = Network(architecture: architecture, maxBatch: batch, threads: threads)
        network.initialize(seed: 1)
        adam = Adam(parameterCount: network.layout.count)
        images = FloatBuffer(count: batch * network.plan.perImage.input)
        labels = FloatBuffer(count: batch)
        dLogits = FloatBuffer(count: batch)
        var rng = SplitMix64(seed: 2 &+ UInt64(reducer.rank))
        for i in 0..<images.count { images.pointer[i] = rng.nextUnitFloat() }
        for i in 0..<batch { labels.pointer[i] = Float(i & 1) }
    }

    /// One training step on the replica's batch.
    @discardableResult
    public func step() throws -> StepTime {
        let began = DispatchTime.now().uptimeNanoseconds
        let t = try OptimizerStep(network: network, adam: adam, reducer: reducer, threads: threads, dLogits: dLogits)
            .run(step: steps, images: images.pointer, labels: labels.pointer, count: batch, globalCount: batch,
                 dropout: .init(seed: 1, step: steps, firstSample: reducer.rank * batch), learningRate: 1e-3)
        steps += 1
        return StepTime(computeNanoseconds: t.computed - began + t.finished - t.reduced, reduceNanoseconds: t.reduced - t.computed)
    }
}

import Dispatch
import Kernels
import Model

/// The arithmetic of one optimizer step on one replica, its batch in place: zero the gradients
/// (keeping the reducer's state), forward, the loss gradient averaged over the global batch,
/// backward (handing the head's final gradients to the reducer as soon as they are), all-reduce,
/// Adam. `Trainer.step` runs it on the data's batches and `BenchmarkReplica.step` on a fixed
/// random one: the benchmark measures the training step itself, not a copy of it.
struct OptimizerStep {
    let network: Network
    let adam: Adam
    let reducer: GradientReducer
    let threads: Int
    /// `[maxBatch]` floats for the loss gradient.
    let dLogits: FloatBuffer

    /// Clock readings (uptime nanoseconds) where the step's phases ended.
    struct Timing {
        /// Forward and backward done; the all-reduce begins.
        var computed: UInt64
        /// The all-reduce done; Adam begins.
        var reduced: UInt64
        /// Adam done.
        var finished: UInt64
    }

    /// Step `step` (0-based, global) on the `count` images and labels in `images` and `labels`, a
    /// slice of a global batch of `globalCount`. `logits` sees the batch's logits before the
    /// backward pass (the caller's loss and accuracy). With `count` 0 this replica only takes part
    /// in the all-reduce and the update.
    func run(step: Int, images: UnsafePointer<Float>, labels: UnsafePointer<Float>, count n: Int, globalCount: Int,
             dropout: Network.DropoutStream, learningRate: Float,
             logits inspect: (UnsafeMutablePointer<Float>) -> Void = { _ in }) throws -> Timing {
        let headGradientsReady = { [network, reducer] in
            reducer.gradientsReady(network.gradients, range: network.headParameterRange, step: step)
        }
        network.zeroGradients(keeping: reducer.retainedGradients)
        if n > 0 {
            let logits = network.forward(input: images, batch: n, dropout: dropout)
            inspect(logits)
            BinaryCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits, labels: labels, count: n, meanOver: globalCount)
            network.backward(dLogits: dLogits.pointer, headGradientsReady: headGradientsReady)
        } else {
            // No samples on this replica this step: its (zero) gradients are final already.
            headGradientsReady()
        }
        let computed = DispatchTime.now().uptimeNanoseconds
        try reducer.allReduce(network.gradients, step: step)
        let reduced = DispatchTime.now().uptimeNanoseconds
        adam.update(parameters: network.parameters, gradients: network.gradients, learningRate: learningRate, threads: threads,
                    supply: reducer.deferredGradients)
        let finished = DispatchTime.now().uptimeNanoseconds
        network.profile?.add("adam", nanoseconds: finished - reduced)
        return Timing(computed: computed, reduced: reduced, finished: finished)
    }
}

import Dispatch
import Kernels
import Randomness

/// One replica of the model: its flat parameter and gradient buffers and every activation buffer,
/// planned once for `maxBatch` images. `forward` then `backward` run without allocating.
///
/// Layout of tensors is NHWC; `plan` holds every shape. For a batch of N, with the paper's constants:
/// input [N,32,32,3] -> conv1+ReLU [N,30,30,32] -> pool [N,15,15,32] -> conv2+ReLU [N,13,13,64]
/// -> pool [N,6,6,64] -> head -> logits [N].
///
/// Threads work as lanes: the batch is cut into `threads` contiguous slices and each lane runs
/// every layer on its own images with single-threaded GEMMs; the dense layers' weight gradients
/// are cut by output columns instead. Lanes write disjoint memory, except the convolutions'
/// weight gradients, which each lane accumulates privately and which are then summed in lane
/// order, so a run is reproducible for a given thread count. (Splitting the batch keeps every
/// GEMM large enough to be efficient, and leaves no BLAS thread pool spinning beside the lanes.)
public final class Network {
    /// Every shape, parameter range and activation size, derived from `architecture`.
    public let plan: ShapePlan
    public var architecture: Architecture { plan.architecture }
    public var layout: ParameterLayout { plan.layout }
    public let maxBatch: Int
    /// Lanes (threads) a step is split into.
    public let threads: Int

    /// All weights, in `layout` order.
    public let parameters: FloatBuffer
    /// Gradients of the loss, same layout; `backward` accumulates, `zeroGradients` clears.
    public let gradients: FloatBuffer
    /// When set, lane 0's time per layer and direction is added to it (`bench train --profile`).
    public var profile: LayerProfile?

    private let isExtended: Bool

    // Activations (forward) and their gradients (backward), for the whole batch.
    private let cols1, a1, p1, cols2, a2, p2: FloatBuffer
    private let arg1, arg2: UnsafeMutablePointer<UInt8>
    private let gap, dropMask, dropOut, h, logits: FloatBuffer
    private let dH, dHeadIn, dGap, dP2, dA2, dZ2, dCols2, dP1, dA1: FloatBuffer
    /// Private convolution gradients of lanes 1..<threads (lane 0 writes `gradients` directly).
    private let laneConvGradients: [FloatBuffer]
    private var lastBatch = 0
    private var lastForwardHadDropout = false

    public convenience init(architecture: Architecture, maxBatch: Int, threads: Int = 1) {
        self.init(plan: architecture.plan, maxBatch: maxBatch, threads: threads)
    }

    /// A network of any plan: for tests that check it follows constants other than the paper's.
    init(plan: ShapePlan, maxBatch: Int, threads: Int = 1) {
        precondition(maxBatch > 0, "batch size must be positive")
        precondition(plan.pool1.size == 2 && plan.pool2.size == 2, "MaxPool2D pools 2x2 windows only, the plan asks for \(plan.pool1.size)")
        self.plan = plan
        self.maxBatch = maxBatch
        self.threads = max(1, min(threads, maxBatch))
        parameters = FloatBuffer(count: plan.layout.count)
        gradients = FloatBuffer(count: plan.layout.count)
        isExtended = plan.head.dropout != nil

        let b = maxBatch, size = plan.perImage
        cols1 = FloatBuffer(count: b * size.cols1)
        a1 = FloatBuffer(count: b * size.a1)
        p1 = FloatBuffer(count: b * size.p1)
        cols2 = FloatBuffer(count: b * size.cols2)
        a2 = FloatBuffer(count: b * size.a2)
        p2 = FloatBuffer(count: b * size.p2)
        arg1 = .allocate(capacity: b * size.p1)
        arg2 = .allocate(capacity: b * size.p2)
        gap = FloatBuffer(count: b * size.gap)
        dropMask = FloatBuffer(count: b * size.gap)
        dropOut = FloatBuffer(count: b * size.gap)
        h = FloatBuffer(count: b * size.h)
        logits = FloatBuffer(count: b)
        dH = FloatBuffer(count: b * size.h)
        dHeadIn = FloatBuffer(count: b * size.headInputs)
        dGap = FloatBuffer(count: b * size.gap)
        dP2 = FloatBuffer(count: b * size.p2)
        dA2 = FloatBuffer(count: b * size.a2)
        dZ2 = FloatBuffer(count: b * size.a2)
        dCols2 = FloatBuffer(count: b * size.cols2)
        dP1 = FloatBuffer(count: b * size.p1)
        dA1 = FloatBuffer(count: b * size.a1)
        let convCount = plan.convolutionParameterRange.count
        laneConvGradients = (1..<self.threads).map { _ in FloatBuffer(count: convCount) }
        // All parallelism comes from the lanes: BLAS calls run in the lane's own thread.
        Gemm.setThreads(1)
    }

    deinit {
        arg1.deallocate()
        arg2.deallocate()
    }

    /// Glorot-uniform kernels (limit sqrt(6 / (fanIn + fanOut))), zero biases, as Keras does.
    public func initialize(seed: UInt64) {
        for (index, spec) in layout.tensors.enumerated() {
            let w = parameters.pointer + spec.offset
            guard spec.fanIn > 0 else {
                w.update(repeating: 0, count: spec.count)
                continue
            }
            var rng = SplitMix64(seed: seed, stream: "glorot", UInt64(index))
            let limit = (6 / Float(spec.fanIn + spec.fanOut)).squareRoot()
            for i in 0..<spec.count { w[i] = (rng.nextUnitFloat() * 2 - 1) * limit }
        }
    }

    public func zeroGradients() { gradients.zero() }

    /// Zeroes the gradients but for `kept` (ascending, disjoint ranges), which a reducer uses to
    /// carry state across steps (backward accumulates into every weight gradient).
    public func zeroGradients(keeping kept: [Range<Int>]) {
        var next = 0
        for range in kept {
            (gradients.pointer + next).update(repeating: 0, count: range.lowerBound - next)
            next = range.upperBound
        }
        (gradients.pointer + next).update(repeating: 0, count: gradients.count - next)
    }

    /// Where dropout's randomness comes from in training: one stream per sample, keyed by the
    /// run's seed, the global step and the sample's position in the global batch, so the masks
    /// do not depend on how the global batch is split across workers or lanes. `rate` overrides
    /// the plan's dropout rate (a recipe's `dropout`); nil: the plan's (the paper's 0.5).
    public struct DropoutStream: Sendable {
        public var seed: UInt64
        public var step: Int
        public var firstSample: Int
        public var rate: Float?
        public init(seed: UInt64, step: Int, firstSample: Int, rate: Float? = nil) {
            self.seed = seed; self.step = step; self.firstSample = firstSample; self.rate = rate
        }
    }

    /// Runs the network on `batch` images `[batch, 32, 32, 3]` (`plan.perImage.input` floats each)
    /// and returns the logits `[batch]`. With `dropout` set (training), dropout draws from its
    /// per-sample streams; without it, inference, dropout is the identity.
    @discardableResult
    public func forward(input: UnsafePointer<Float>, batch n: Int, dropout: DropoutStream?) -> UnsafeMutablePointer<Float> {
        precondition(n > 0 && n <= maxBatch, "batch of \(n) exceeds the planned maximum \(maxBatch)")
        let w = parameters.pointer, t = plan.parameters, size = plan.perImage
        let pool1 = plan.pool1, pool2 = plan.pool2, hidden = plan.head.hidden, headInputs = plan.head.inputs
        parallelRanges(n, threads: threads) { images in
            let lane0 = images.lowerBound == 0
            // The convolutions run in cache-sized chunks of images: their im2col matrices then
            // stay in cache between the copy and the GEMM.
            for start in stride(from: images.lowerBound, to: images.upperBound, by: Self.chunkImages) {
                let o = start, m = min(Self.chunkImages, images.upperBound - start)
                timed("conv1 forward", lane0) {
                    Conv2D.forward(output: a1.pointer + o * size.a1, columns: cols1.pointer + o * size.cols1, input: input + o * size.input,
                                   weight: w + t.conv1Kernel.offset, bias: w + t.conv1Bias.offset, shape: plan.conv1.shape(batch: m), relu: true, threads: 1)
                }
                timed("pool1 forward", lane0) {
                    MaxPool2D.forward(output: p1.pointer + o * size.p1, argmax: arg1 + o * size.p1, input: a1.pointer + o * size.a1,
                                      batch: m, height: pool1.inputSide, width: pool1.inputSide, channels: pool1.channels, threads: 1)
                }
                timed("conv2 forward", lane0) {
                    Conv2D.forward(output: a2.pointer + o * size.a2, columns: cols2.pointer + o * size.cols2, input: p1.pointer + o * size.p1,
                                   weight: w + t.conv2Kernel.offset, bias: w + t.conv2Bias.offset, shape: plan.conv2.shape(batch: m), relu: true, threads: 1)
                }
                timed("pool2 forward", lane0) {
                    MaxPool2D.forward(output: p2.pointer + o * size.p2, argmax: arg2 + o * size.p2, input: a2.pointer + o * size.a2,
                                      batch: m, height: pool2.inputSide, width: pool2.inputSide, channels: pool2.channels, threads: 1)
                }
            }
            let o = images.lowerBound, m = images.count
            let headIn = headInput(images: images, dropout: dropout)
            timed("dense forward", lane0) {
                Dense.forward(output: h.pointer + o * hidden, input: headIn + o * headInputs, weight: w + t.denseKernel.offset, bias: w + t.denseBias.offset,
                              batch: m, inFeatures: headInputs, outFeatures: hidden, relu: true)
            }
            Dense.forward(output: logits.pointer + o, input: h.pointer + o * hidden, weight: w + t.outputKernel.offset, bias: w + t.outputBias.offset,
                          batch: m, inFeatures: hidden, outFeatures: 1, relu: false)
        }
        lastBatch = n
        lastForwardHadDropout = dropout != nil
        return logits.pointer
    }

    /// The head's input for the whole batch (the lane fills its own images): the flattened
    /// pooling, or global average pooling followed by dropout.
    private func headInput(images: Range<Int>, dropout: DropoutStream?) -> UnsafePointer<Float> {
        guard let planned = plan.head.dropout else { return UnsafePointer(p2.pointer) }
        let o = images.lowerBound, size = plan.perImage, pool2 = plan.pool2
        GlobalAveragePool.forward(output: gap.pointer + o * size.gap, input: p2.pointer + o * size.p2, batch: images.count,
                                  pixels: pool2.outputPixels, channels: pool2.channels)
        guard let dropout else { return UnsafePointer(gap.pointer) }
        let rate = dropout.rate ?? planned
        for i in images {
            var rng = SplitMix64(seed: dropout.seed, stream: "dropout", UInt64(dropout.step) << 24 | UInt64(dropout.firstSample + i))
            Dropout.forward(output: dropOut.pointer + i * size.gap, mask: dropMask.pointer + i * size.gap, input: gap.pointer + i * size.gap,
                            count: size.gap, rate: rate, rng: &rng)
        }
        return UnsafePointer(dropOut.pointer)
    }

    /// The dense and output layers' parameters (the plan's): the end of the flat buffer (99.8% of
    /// it for D=4096), whose gradients `backward` finishes first.
    public var headParameterRange: Range<Int> { plan.headParameterRange }

    /// Back-propagates `dLogits` `[batch]` through the last `forward`, accumulating into
    /// `gradients`. With `keepActivationGradient`, `lastConvActivationGradient` afterwards holds
    /// dLoss/dA for conv2's (post-ReLU) output, which Grad-CAM needs; without it the ReLU's
    /// backward is fused into the pooling's and that buffer is not filled.
    ///
    /// `headGradientsReady` is called once, as soon as the gradients in `headParameterRange` are
    /// final (with one lane: before the convolutions' backward, which then runs while the caller
    /// may already be summing those gradients across replicas; with several lanes, after them).
    /// It must not touch the rest of `gradients`.
    public func backward(dLogits dOut: UnsafePointer<Float>, keepActivationGradient: Bool = false,
                         headGradientsReady: (() -> Void)? = nil) {
        let n = lastBatch, w = parameters.pointer, g = gradients.pointer
        precondition(n > 0, "backward needs a forward first")
        let t = plan.parameters, size = plan.perImage, convCount = plan.convolutionParameterRange.count
        let pool1 = plan.pool1, pool2 = plan.pool2, hidden = plan.head.hidden, headInputs = plan.head.inputs
        let headIn: UnsafePointer<Float> = isExtended ? UnsafePointer(lastForwardHadDropout ? dropOut.pointer : gap.pointer) : UnsafePointer(p2.pointer)
        let dHead = isExtended ? dHeadIn.pointer : dP2.pointer

        // The output layer (D -> 1) is tiny: one pass over the whole batch.
        Dense.backward(dInput: dH.pointer, dWeight: g + t.outputKernel.offset, dBias: g + t.outputBias.offset, dOutput: dOut,
                       input: h.pointer, weight: w + t.outputKernel.offset, batch: n, inFeatures: hidden, outFeatures: 1)
        ReLU.backward(dY: dH.pointer, y: h.pointer, count: n * hidden)

        let lanes = min(threads, n)
        parallelRanges(lanes, threads: lanes) { laneRange in
            for lane in laneRange {
                let lane0 = lane == 0
                // The dense layer's weight gradient, cut by output columns.
                timed("dense backward (dW)", lane0) {
                    Dense.backwardWeights(dWeight: g + t.denseKernel.offset, dBias: g + t.denseBias.offset, dOutput: dH.pointer, input: headIn,
                                          batch: n, inFeatures: headInputs, outFeatures: hidden,
                                          columns: (lane * hidden / lanes)..<((lane + 1) * hidden / lanes))
                }
                if lanes == 1 { headGradientsReady?() }
                // Everything else, cut by images.
                let images = (lane * n / lanes)..<((lane + 1) * n / lanes)
                let o = images.lowerBound, m = images.count
                guard m > 0 else { continue }
                let convGradients = lane0 ? g : laneConvGradients[lane - 1].pointer
                if !lane0 { convGradients.update(repeating: 0, count: convCount) }
                timed("dense backward (dX)", lane0) {
                    Dense.backwardInput(dInput: dHead + o * headInputs, dOutput: dH.pointer + o * hidden, weight: w + t.denseKernel.offset,
                                        batch: m, inFeatures: headInputs, outFeatures: hidden)
                }
                if isExtended {
                    if lastForwardHadDropout {
                        Dropout.backward(dInput: dGap.pointer + o * size.gap, dOutput: dHeadIn.pointer + o * headInputs,
                                         mask: dropMask.pointer + o * size.gap, count: m * size.gap)
                    } else {
                        (dGap.pointer + o * size.gap).update(from: dHeadIn.pointer + o * headInputs, count: m * size.gap)
                    }
                    GlobalAveragePool.backward(dInput: dP2.pointer + o * size.p2, dOutput: dGap.pointer + o * size.gap, batch: m,
                                               pixels: pool2.outputPixels, channels: pool2.channels)
                }
                for start in stride(from: images.lowerBound, to: images.upperBound, by: Self.chunkImages) {
                    let o = start, m = min(Self.chunkImages, images.upperBound - start)
                    timed("pool2 backward", lane0) {
                        if keepActivationGradient {
                            MaxPool2D.backward(dInput: dA2.pointer + o * size.a2, dOutput: dP2.pointer + o * size.p2, argmax: arg2 + o * size.p2,
                                               batch: m, height: pool2.inputSide, width: pool2.inputSide, channels: pool2.channels, threads: 1)
                            ReLU.backward(dX: dZ2.pointer + o * size.a2, dY: dA2.pointer + o * size.a2, y: a2.pointer + o * size.a2, count: m * size.a2)
                        } else {
                            MaxPool2D.backward(dInput: dZ2.pointer + o * size.a2, dOutput: dP2.pointer + o * size.p2, argmax: arg2 + o * size.p2,
                                               reluOutput: p2.pointer + o * size.p2, batch: m, height: pool2.inputSide, width: pool2.inputSide,
                                               channels: pool2.channels, threads: 1)
                        }
                    }
                    timed("conv2 backward", lane0) {
                        Conv2D.backward(dInput: dP1.pointer + o * size.p1, dColumns: dCols2.pointer + o * size.cols2,
                                        dWeight: convGradients + t.conv2Kernel.offset, dBias: convGradients + t.conv2Bias.offset,
                                        dOutput: dZ2.pointer + o * size.a2, columns: cols2.pointer + o * size.cols2, weight: w + t.conv2Kernel.offset,
                                        shape: plan.conv2.shape(batch: m), threads: 1)
                    }
                    timed("pool1 backward", lane0) {
                        MaxPool2D.backward(dInput: dA1.pointer + o * size.a1, dOutput: dP1.pointer + o * size.p1, argmax: arg1 + o * size.p1,
                                           reluOutput: p1.pointer + o * size.p1, batch: m, height: pool1.inputSide, width: pool1.inputSide,
                                           channels: pool1.channels, threads: 1)
                    }
                    timed("conv1 backward", lane0) {
                        Conv2D.backward(dInput: nil, dColumns: nil, dWeight: convGradients + t.conv1Kernel.offset, dBias: convGradients + t.conv1Bias.offset,
                                        dOutput: dA1.pointer + o * size.a1, columns: cols1.pointer + o * size.cols1, weight: w + t.conv1Kernel.offset,
                                        shape: plan.conv1.shape(batch: m), threads: 1)
                    }
                }
            }
        }
        if lanes > 1 { headGradientsReady?() }
        for lane in 1..<lanes {
            let private_ = laneConvGradients[lane - 1].pointer
            for i in 0..<convCount { g[i] += private_[i] }
        }
    }

    /// Images per convolution chunk: about 3 MB of conv2 im2col matrix.
    static let chunkImages = 16

    @inline(__always)
    private func timed(_ name: StaticString, _ lane0: Bool, _ body: () -> Void) {
        guard lane0, let profile else { return body() }
        let began = DispatchTime.now().uptimeNanoseconds
        body()
        profile.add("\(name)", nanoseconds: DispatchTime.now().uptimeNanoseconds - began)
    }

    /// Conv2's activations `[batch, side, side, filters]` (`plan.conv2`'s output) from the last
    /// forward: Grad-CAM's feature maps.
    public var lastConvActivations: UnsafePointer<Float> { UnsafePointer(a2.pointer) }
    /// dLoss/d(conv2 activations), same shape, from the last `backward(keepActivationGradient: true)`.
    public var lastConvActivationGradient: UnsafePointer<Float> { UnsafePointer(dA2.pointer) }
}

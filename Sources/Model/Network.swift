import Dispatch
import Kernels
import Randomness

/// One replica of the model: its flat parameter and gradient buffers and every activation buffer,
/// planned once for `maxBatch` images. `forward` then `backward` run without allocating.
///
/// Layout of tensors is NHWC. Shapes, for a batch of N:
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
    public let architecture: Architecture
    public let layout: ParameterLayout
    public let maxBatch: Int
    /// Lanes (threads) a step is split into.
    public let threads: Int

    /// All weights, in `layout` order.
    public let parameters: FloatBuffer
    /// Gradients of the loss, same layout; `backward` accumulates, `zeroGradients` clears.
    public let gradients: FloatBuffer
    /// When set, lane 0's time per layer and direction is added to it (`bench train --profile`).
    public var profile: LayerProfile?

    // Offsets of each tensor in the flat buffers; the convolutions' tensors come first.
    private let oConv1W, oConv1B, oConv2W, oConv2B, oDenseW, oDenseB, oOutW, oOutB: Int
    private let convParameterCount: Int
    private let hidden: Int
    private let headInputs: Int
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

    public init(architecture: Architecture, maxBatch: Int, threads: Int = 1) {
        precondition(maxBatch > 0, "batch size must be positive")
        self.architecture = architecture
        self.layout = architecture.layout
        self.maxBatch = maxBatch
        self.threads = max(1, min(threads, maxBatch))
        parameters = FloatBuffer(count: layout.count)
        gradients = FloatBuffer(count: layout.count)
        oConv1W = layout["conv1.kernel"].offset; oConv1B = layout["conv1.bias"].offset
        oConv2W = layout["conv2.kernel"].offset; oConv2B = layout["conv2.bias"].offset
        oDenseW = layout["dense.kernel"].offset; oDenseB = layout["dense.bias"].offset
        oOutW = layout["output.kernel"].offset; oOutB = layout["output.bias"].offset
        convParameterCount = oDenseW
        precondition(oConv1W == 0 && oConv2B + 64 == oDenseW, "convolution tensors must lead the layout")
        hidden = architecture.hiddenWidth
        headInputs = architecture.headInputs
        isExtended = architecture == .cnn2dExtended

        let s1 = Network.conv1Shape(maxBatch), s2 = Network.conv2Shape(maxBatch)
        let b = maxBatch
        cols1 = FloatBuffer(count: s1.columnRows * s1.columnWidth)
        a1 = FloatBuffer(count: s1.outputCount)
        p1 = FloatBuffer(count: b * 15 * 15 * 32)
        cols2 = FloatBuffer(count: s2.columnRows * s2.columnWidth)
        a2 = FloatBuffer(count: s2.outputCount)
        p2 = FloatBuffer(count: b * 6 * 6 * 64)
        arg1 = .allocate(capacity: b * 15 * 15 * 32)
        arg2 = .allocate(capacity: b * 6 * 6 * 64)
        gap = FloatBuffer(count: isExtended ? b * 64 : 0)
        dropMask = FloatBuffer(count: isExtended ? b * 64 : 0)
        dropOut = FloatBuffer(count: isExtended ? b * 64 : 0)
        h = FloatBuffer(count: b * hidden)
        logits = FloatBuffer(count: b)
        dH = FloatBuffer(count: b * hidden)
        dHeadIn = FloatBuffer(count: b * headInputs)
        dGap = FloatBuffer(count: isExtended ? b * 64 : 0)
        dP2 = FloatBuffer(count: b * 6 * 6 * 64)
        dA2 = FloatBuffer(count: s2.outputCount)
        dZ2 = FloatBuffer(count: s2.outputCount)
        dCols2 = FloatBuffer(count: s2.columnRows * s2.columnWidth)
        dP1 = FloatBuffer(count: b * 15 * 15 * 32)
        dA1 = FloatBuffer(count: s1.outputCount)
        let convCount = oDenseW
        laneConvGradients = (1..<self.threads).map { _ in FloatBuffer(count: convCount) }
        // All parallelism comes from the lanes: BLAS calls run in the lane's own thread.
        Gemm.setThreads(1)
    }

    deinit {
        arg1.deallocate()
        arg2.deallocate()
    }

    static func conv1Shape(_ n: Int) -> Conv2DShape {
        Conv2DShape(batch: n, height: 32, width: 32, inChannels: 3, outChannels: 32, kernelSize: 3)
    }
    static func conv2Shape(_ n: Int) -> Conv2DShape {
        Conv2DShape(batch: n, height: 15, width: 15, inChannels: 32, outChannels: 64, kernelSize: 3)
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
    /// do not depend on how the global batch is split across workers or lanes.
    public struct DropoutStream: Sendable {
        public var seed: UInt64
        public var step: Int
        public var firstSample: Int
        public init(seed: UInt64, step: Int, firstSample: Int) {
            self.seed = seed; self.step = step; self.firstSample = firstSample
        }
    }

    /// Runs the network on `batch` images `[batch, 32, 32, 3]` and returns the logits `[batch]`.
    /// With `dropout` set (training), dropout draws from its per-sample streams; without it,
    /// inference, dropout is the identity.
    @discardableResult
    public func forward(input: UnsafePointer<Float>, batch n: Int, dropout: DropoutStream?) -> UnsafeMutablePointer<Float> {
        precondition(n > 0 && n <= maxBatch, "batch of \(n) exceeds the planned maximum \(maxBatch)")
        let w = parameters.pointer
        parallelRanges(n, threads: threads) { images in
            let lane0 = images.lowerBound == 0
            // The convolutions run in cache-sized chunks of images: their im2col matrices then
            // stay in cache between the copy and the GEMM.
            for start in stride(from: images.lowerBound, to: images.upperBound, by: Self.chunkImages) {
                let o = start, m = min(Self.chunkImages, images.upperBound - start)
                timed("conv1 forward", lane0) {
                    Conv2D.forward(output: a1.pointer + o * 28_800, columns: cols1.pointer + o * 900 * 27, input: input + o * 3072,
                                   weight: w + oConv1W, bias: w + oConv1B, shape: Self.conv1Shape(m), relu: true, threads: 1)
                }
                timed("pool1 forward", lane0) {
                    MaxPool2D.forward(output: p1.pointer + o * 7200, argmax: arg1 + o * 7200, input: a1.pointer + o * 28_800,
                                      batch: m, height: 30, width: 30, channels: 32, threads: 1)
                }
                timed("conv2 forward", lane0) {
                    Conv2D.forward(output: a2.pointer + o * 10_816, columns: cols2.pointer + o * 169 * 288, input: p1.pointer + o * 7200,
                                   weight: w + oConv2W, bias: w + oConv2B, shape: Self.conv2Shape(m), relu: true, threads: 1)
                }
                timed("pool2 forward", lane0) {
                    MaxPool2D.forward(output: p2.pointer + o * 2304, argmax: arg2 + o * 2304, input: a2.pointer + o * 10_816,
                                      batch: m, height: 13, width: 13, channels: 64, threads: 1)
                }
            }
            let o = images.lowerBound, m = images.count
            let headIn = headInput(images: images, dropout: dropout)
            timed("dense forward", lane0) {
                Dense.forward(output: h.pointer + o * hidden, input: headIn + o * headInputs, weight: w + oDenseW, bias: w + oDenseB,
                              batch: m, inFeatures: headInputs, outFeatures: hidden, relu: true)
            }
            Dense.forward(output: logits.pointer + o, input: h.pointer + o * hidden, weight: w + oOutW, bias: w + oOutB,
                          batch: m, inFeatures: hidden, outFeatures: 1, relu: false)
        }
        lastBatch = n
        lastForwardHadDropout = dropout != nil
        return logits.pointer
    }

    /// The head's input for the whole batch (the lane fills its own images): the flattened
    /// pooling, or global average pooling followed by dropout.
    private func headInput(images: Range<Int>, dropout: DropoutStream?) -> UnsafePointer<Float> {
        guard isExtended else { return UnsafePointer(p2.pointer) }
        let o = images.lowerBound
        GlobalAveragePool.forward(output: gap.pointer + o * 64, input: p2.pointer + o * 2304, batch: images.count, pixels: 36, channels: 64)
        guard let dropout else { return UnsafePointer(gap.pointer) }
        for i in images {
            var rng = SplitMix64(seed: dropout.seed, stream: "dropout", UInt64(dropout.step) << 24 | UInt64(dropout.firstSample + i))
            Dropout.forward(output: dropOut.pointer + i * 64, mask: dropMask.pointer + i * 64, input: gap.pointer + i * 64,
                            count: 64, rate: Architecture.extendedDropout, rng: &rng)
        }
        return UnsafePointer(dropOut.pointer)
    }

    /// The dense and output layers' parameters: the end of the flat buffer (99.8% of it for
    /// D=4096), whose gradients `backward` finishes first.
    public var headParameterRange: Range<Int> { oDenseW..<layout.count }

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
        let headIn: UnsafePointer<Float> = isExtended ? UnsafePointer(lastForwardHadDropout ? dropOut.pointer : gap.pointer) : UnsafePointer(p2.pointer)
        let dHead = isExtended ? dHeadIn.pointer : dP2.pointer

        // The output layer (D -> 1) is tiny: one pass over the whole batch.
        Dense.backward(dInput: dH.pointer, dWeight: g + oOutW, dBias: g + oOutB, dOutput: dOut,
                       input: h.pointer, weight: w + oOutW, batch: n, inFeatures: hidden, outFeatures: 1)
        ReLU.backward(dY: dH.pointer, y: h.pointer, count: n * hidden)

        let lanes = min(threads, n)
        parallelRanges(lanes, threads: lanes) { laneRange in
            for lane in laneRange {
                let lane0 = lane == 0
                // The dense layer's weight gradient, cut by output columns.
                timed("dense backward (dW)", lane0) {
                    Dense.backwardWeights(dWeight: g + oDenseW, dBias: g + oDenseB, dOutput: dH.pointer, input: headIn,
                                          batch: n, inFeatures: headInputs, outFeatures: hidden,
                                          columns: (lane * hidden / lanes)..<((lane + 1) * hidden / lanes))
                }
                if lanes == 1 { headGradientsReady?() }
                // Everything else, cut by images.
                let images = (lane * n / lanes)..<((lane + 1) * n / lanes)
                let o = images.lowerBound, m = images.count
                guard m > 0 else { continue }
                let convGradients = lane0 ? g : laneConvGradients[lane - 1].pointer
                if !lane0 { convGradients.update(repeating: 0, count: convParameterCount) }
                timed("dense backward (dX)", lane0) {
                    Dense.backwardInput(dInput: dHead + o * headInputs, dOutput: dH.pointer + o * hidden, weight: w + oDenseW,
                                        batch: m, inFeatures: headInputs, outFeatures: hidden)
                }
                if isExtended {
                    if lastForwardHadDropout {
                        Dropout.backward(dInput: dGap.pointer + o * 64, dOutput: dHeadIn.pointer + o * 64, mask: dropMask.pointer + o * 64, count: m * 64)
                    } else {
                        (dGap.pointer + o * 64).update(from: dHeadIn.pointer + o * 64, count: m * 64)
                    }
                    GlobalAveragePool.backward(dInput: dP2.pointer + o * 2304, dOutput: dGap.pointer + o * 64, batch: m, pixels: 36, channels: 64)
                }
                for start in stride(from: images.lowerBound, to: images.upperBound, by: Self.chunkImages) {
                    let o = start, m = min(Self.chunkImages, images.upperBound - start)
                    timed("pool2 backward", lane0) {
                        if keepActivationGradient {
                            MaxPool2D.backward(dInput: dA2.pointer + o * 10_816, dOutput: dP2.pointer + o * 2304, argmax: arg2 + o * 2304,
                                               batch: m, height: 13, width: 13, channels: 64, threads: 1)
                            ReLU.backward(dX: dZ2.pointer + o * 10_816, dY: dA2.pointer + o * 10_816, y: a2.pointer + o * 10_816, count: m * 10_816)
                        } else {
                            MaxPool2D.backward(dInput: dZ2.pointer + o * 10_816, dOutput: dP2.pointer + o * 2304, argmax: arg2 + o * 2304,
                                               reluOutput: p2.pointer + o * 2304, batch: m, height: 13, width: 13, channels: 64, threads: 1)
                        }
                    }
                    timed("conv2 backward", lane0) {
                        Conv2D.backward(dInput: dP1.pointer + o * 7200, dColumns: dCols2.pointer + o * 169 * 288,
                                        dWeight: convGradients + oConv2W, dBias: convGradients + oConv2B,
                                        dOutput: dZ2.pointer + o * 10_816, columns: cols2.pointer + o * 169 * 288, weight: w + oConv2W,
                                        shape: Self.conv2Shape(m), threads: 1)
                    }
                    timed("pool1 backward", lane0) {
                        MaxPool2D.backward(dInput: dA1.pointer + o * 28_800, dOutput: dP1.pointer + o * 7200, argmax: arg1 + o * 7200,
                                           reluOutput: p1.pointer + o * 7200, batch: m, height: 30, width: 30, channels: 32, threads: 1)
                    }
                    timed("conv1 backward", lane0) {
                        Conv2D.backward(dInput: nil, dColumns: nil, dWeight: convGradients + oConv1W, dBias: convGradients + oConv1B,
                                        dOutput: dA1.pointer + o * 28_800, columns: cols1.pointer + o * 900 * 27, weight: w + oConv1W,
                                        shape: Self.conv1Shape(m), threads: 1)
                    }
                }
            }
        }
        if lanes > 1 { headGradientsReady?() }
        for lane in 1..<lanes {
            let private_ = laneConvGradients[lane - 1].pointer
            for i in 0..<convParameterCount { g[i] += private_[i] }
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

    /// Conv2's activations `[batch, 13, 13, 64]` from the last forward (Grad-CAM's feature maps).
    public var lastConvActivations: UnsafePointer<Float> { UnsafePointer(a2.pointer) }
    /// dLoss/d(conv2 activations) `[batch, 13, 13, 64]` from the last `backward(keepActivationGradient: true)`.
    public var lastConvActivationGradient: UnsafePointer<Float> { UnsafePointer(dA2.pointer) }
    public static let lastConvGrid = (height: 13, width: 13, channels: 64)
}

import Dispatch
import Kernels
import Randomness

/// One replica of the model: its flat parameter and gradient buffers and every activation buffer,
/// planned once for `maxBatch` images. `forward` then `backward` run without allocating.
///
/// Layout of tensors is NHWC. Shapes, for a batch of N:
/// input [N,32,32,3] -> conv1+ReLU [N,30,30,32] -> pool [N,15,15,32] -> conv2+ReLU [N,13,13,64]
/// -> pool [N,6,6,64] -> head -> logits [N].
public final class Network {
    public let architecture: Architecture
    public let layout: ParameterLayout
    public let maxBatch: Int
    /// Threads for the element-wise kernels (the GEMMs use `Gemm.setThreads`).
    public var threads: Int

    /// All weights, in `layout` order.
    public let parameters: FloatBuffer
    /// Gradients of the loss, same layout; `backward` accumulates, `zeroGradients` clears.
    public let gradients: FloatBuffer

    // Offsets of each tensor in the flat buffers.
    private let oConv1W, oConv1B, oConv2W, oConv2B, oDenseW, oDenseB, oOutW, oOutB: Int
    private let hidden: Int

    // Activations (forward) and their gradients (backward).
    private let cols1, a1, p1, cols2, a2, p2: FloatBuffer
    private let arg1, arg2: UnsafeMutablePointer<UInt8>
    private let gap, dropMask, dropOut, h, logits: FloatBuffer
    private let dLogits, dH, dHeadIn, dGap, dP2, dA2, dZ2, dCols2, dP1, dA1: FloatBuffer
    private var lastBatch = 0
    /// When set, every layer's forward and backward time is added to it (for `bench train --profile`).
    public var profile: LayerProfile?
    private var lastInputWasTraining = false

    public init(architecture: Architecture, maxBatch: Int, threads: Int = 1) {
        precondition(maxBatch > 0, "batch size must be positive")
        self.architecture = architecture
        self.layout = architecture.layout
        self.maxBatch = maxBatch
        self.threads = threads
        parameters = FloatBuffer(count: layout.count)
        gradients = FloatBuffer(count: layout.count)
        oConv1W = layout["conv1.kernel"].offset; oConv1B = layout["conv1.bias"].offset
        oConv2W = layout["conv2.kernel"].offset; oConv2B = layout["conv2.bias"].offset
        oDenseW = layout["dense.kernel"].offset; oDenseB = layout["dense.bias"].offset
        oOutW = layout["output.kernel"].offset; oOutB = layout["output.bias"].offset
        hidden = architecture.hiddenWidth

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
        let isExtended = architecture == .cnn2dExtended
        gap = FloatBuffer(count: isExtended ? b * 64 : 0)
        dropMask = FloatBuffer(count: isExtended ? b * 64 : 0)
        dropOut = FloatBuffer(count: isExtended ? b * 64 : 0)
        h = FloatBuffer(count: b * hidden)
        logits = FloatBuffer(count: b)
        dLogits = FloatBuffer(count: b)
        dH = FloatBuffer(count: b * hidden)
        dHeadIn = FloatBuffer(count: b * architecture.headInputs)
        dGap = FloatBuffer(count: isExtended ? b * 64 : 0)
        dP2 = FloatBuffer(count: b * 6 * 6 * 64)
        dA2 = FloatBuffer(count: s2.outputCount)
        dZ2 = FloatBuffer(count: s2.outputCount)
        dCols2 = FloatBuffer(count: s2.columnRows * s2.columnWidth)
        dP1 = FloatBuffer(count: b * 15 * 15 * 32)
        dA1 = FloatBuffer(count: s1.outputCount)
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

    /// Where dropout's randomness comes from in training: one stream per sample, keyed by the
    /// run's seed, the global step and the sample's position in the global batch, so the masks
    /// do not depend on how the global batch is split across workers.
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
        let w = parameters.pointer, t = threads
        timed("conv1 forward") {
            Conv2D.forward(output: a1.pointer, columns: cols1.pointer, input: input,
                           weight: w + oConv1W, bias: w + oConv1B, shape: Self.conv1Shape(n), relu: true, threads: t)
        }
        timed("pool1 forward") {
            MaxPool2D.forward(output: p1.pointer, argmax: arg1, input: a1.pointer, batch: n, height: 30, width: 30, channels: 32, threads: t)
        }
        timed("conv2 forward") {
            Conv2D.forward(output: a2.pointer, columns: cols2.pointer, input: p1.pointer,
                           weight: w + oConv2W, bias: w + oConv2B, shape: Self.conv2Shape(n), relu: true, threads: t)
        }
        timed("pool2 forward") {
            MaxPool2D.forward(output: p2.pointer, argmax: arg2, input: a2.pointer, batch: n, height: 13, width: 13, channels: 64, threads: t)
        }
        let headIn = timed("head input") { headInput(batch: n, dropout: dropout) }
        timed("dense forward") {
            Dense.forward(output: h.pointer, input: headIn, weight: w + oDenseW, bias: w + oDenseB,
                          batch: n, inFeatures: architecture.headInputs, outFeatures: hidden, relu: true)
        }
        timed("output forward") {
            Dense.forward(output: logits.pointer, input: h.pointer, weight: w + oOutW, bias: w + oOutB,
                          batch: n, inFeatures: hidden, outFeatures: 1, relu: false)
        }
        lastBatch = n
        lastInputWasTraining = dropout != nil
        return logits.pointer
    }

    private func headInput(batch n: Int, dropout: DropoutStream?) -> UnsafePointer<Float> {
        guard architecture == .cnn2dExtended else { return UnsafePointer(p2.pointer) }
        GlobalAveragePool.forward(output: gap.pointer, input: p2.pointer, batch: n, pixels: 36, channels: 64)
        guard let dropout else { return UnsafePointer(gap.pointer) }
        for i in 0..<n {
            var rng = SplitMix64(seed: dropout.seed, stream: "dropout", UInt64(dropout.step) << 24 | UInt64(dropout.firstSample + i))
            Dropout.forward(output: dropOut.pointer + i * 64, mask: dropMask.pointer + i * 64, input: gap.pointer + i * 64,
                            count: 64, rate: Architecture.extendedDropout, rng: &rng)
        }
        return UnsafePointer(dropOut.pointer)
    }

    /// Back-propagates `dLogits` `[batch]` through the last `forward`, accumulating into
    /// `gradients`. With `keepActivationGradient`, `lastConvActivationGradient` afterwards holds
    /// dLoss/dA for conv2's (post-ReLU) output, which Grad-CAM needs; without it the ReLU's
    /// backward is fused into the pooling's and that buffer is not filled.
    public func backward(dLogits dOut: UnsafePointer<Float>, keepActivationGradient: Bool = false) {
        let n = lastBatch, w = parameters.pointer, g = gradients.pointer, t = threads
        precondition(n > 0, "backward needs a forward first")
        let isExtended = architecture == .cnn2dExtended
        let headIn: UnsafePointer<Float> = isExtended ? UnsafePointer(lastInputWasTraining ? dropOut.pointer : gap.pointer) : UnsafePointer(p2.pointer)
        timed("output backward") {
            Dense.backward(dInput: dH.pointer, dWeight: g + oOutW, dBias: g + oOutB, dOutput: dOut,
                           input: h.pointer, weight: w + oOutW, batch: n, inFeatures: hidden, outFeatures: 1)
        }
        timed("dense relu backward") {
            ReLU.backward(dY: dH.pointer, y: h.pointer, count: n * hidden)
        }
        let dHead = isExtended ? dHeadIn.pointer : dP2.pointer
        timed("dense backward") {
            Dense.backward(dInput: dHead, dWeight: g + oDenseW, dBias: g + oDenseB, dOutput: dH.pointer,
                           input: headIn, weight: w + oDenseW, batch: n, inFeatures: architecture.headInputs, outFeatures: hidden)
        }
        if isExtended {
            if lastInputWasTraining {
                Dropout.backward(dInput: dGap.pointer, dOutput: dHeadIn.pointer, mask: dropMask.pointer, count: n * 64)
            } else {
                dGap.pointer.update(from: dHeadIn.pointer, count: n * 64)
            }
            GlobalAveragePool.backward(dInput: dP2.pointer, dOutput: dGap.pointer, batch: n, pixels: 36, channels: 64)
        }
        if keepActivationGradient {
            timed("pool2 backward") {
                MaxPool2D.backward(dInput: dA2.pointer, dOutput: dP2.pointer, argmax: arg2, batch: n, height: 13, width: 13, channels: 64, threads: t)
                ReLU.backward(dX: dZ2.pointer, dY: dA2.pointer, y: a2.pointer, count: n * 13 * 13 * 64)
            }
        } else {
            timed("pool2 backward") {
                MaxPool2D.backward(dInput: dZ2.pointer, dOutput: dP2.pointer, argmax: arg2, reluOutput: p2.pointer,
                                   batch: n, height: 13, width: 13, channels: 64, threads: t)
            }
        }
        timed("conv2 backward") {
            Conv2D.backward(dInput: dP1.pointer, dColumns: dCols2.pointer, dWeight: g + oConv2W, dBias: g + oConv2B,
                            dOutput: dZ2.pointer, columns: cols2.pointer, weight: w + oConv2W, shape: Self.conv2Shape(n), threads: t)
        }
        timed("pool1 backward") {
            MaxPool2D.backward(dInput: dA1.pointer, dOutput: dP1.pointer, argmax: arg1, reluOutput: p1.pointer,
                               batch: n, height: 30, width: 30, channels: 32, threads: t)
        }
        timed("conv1 backward") {
            Conv2D.backward(dInput: nil, dColumns: nil, dWeight: g + oConv1W, dBias: g + oConv1B,
                            dOutput: dA1.pointer, columns: cols1.pointer, weight: w + oConv1W, shape: Self.conv1Shape(n), threads: t)
        }
    }

    @inline(__always)
    private func timed<T>(_ name: StaticString, _ body: () -> T) -> T {
        guard let profile else { return body() }
        let began = DispatchTime.now().uptimeNanoseconds
        let result = body()
        profile.add("\(name)", nanoseconds: DispatchTime.now().uptimeNanoseconds - began)
        return result
    }

    /// Conv2's activations `[batch, 13, 13, 64]` from the last forward (Grad-CAM's feature maps).
    public var lastConvActivations: UnsafePointer<Float> { UnsafePointer(a2.pointer) }
    /// dLoss/d(conv2 activations) `[batch, 13, 13, 64]` from the last `backward(keepActivationGradient: true)`.
    public var lastConvActivationGradient: UnsafePointer<Float> { UnsafePointer(dA2.pointer) }
    public static let lastConvGrid = (height: 13, width: 13, channels: 64)
}

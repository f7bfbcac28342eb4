/// Geometry of a stride-1, 'valid'-padded square convolution over NHWC tensors.
public struct Conv2DShape: Sendable, Equatable {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var inChannels: Int
    public var outChannels: Int
    public var kernelSize: Int

    public init(batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int, kernelSize: Int) {
        self.batch = batch; self.height = height; self.width = width
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize
    }

    public var outHeight: Int { height - kernelSize + 1 }
    public var outWidth: Int { width - kernelSize + 1 }
    /// Rows of the im2col matrix: one per output pixel of the batch.
    public var columnRows: Int { batch * outHeight * outWidth }
    /// Columns of the im2col matrix: one patch, ordered (kh, kw, c) like the kernel.
    public var columnWidth: Int { kernelSize * kernelSize * inChannels }
    public var inputCount: Int { batch * height * width * inChannels }
    public var outputCount: Int { columnRows * outChannels }
    public var weightCount: Int { columnWidth * outChannels }
}

/// Conv2D as im2col + GEMM.
///
/// input `[N, H, W, C]`, weight `[K, K, C, F]` (Keras's kernel layout), bias `[F]`,
/// output `[N, H-K+1, W-K+1, F]`; `columns` is scratch of `columnRows x columnWidth` that forward
/// fills and backward reads again (the patches of the same input).
public enum Conv2D {
    /// `output = im2col(input) x weight + bias`, then ReLU when `relu` is set.
    public static func forward(
        output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        shape s: Conv2DShape, relu: Bool, threads: Int
    ) {
        im2col(columns: columns, input: input, shape: s, threads: threads)
        Gemm.sgemm(transA: false, transB: false, m: s.columnRows, n: s.outChannels, k: s.columnWidth,
                   a: columns, lda: s.columnWidth, b: weight, ldb: s.outChannels,
                   beta: 0, c: output, ldc: s.outChannels)
        parallelRanges(s.columnRows, threads: threads) { rows in
            addBias(output, bias: bias, rows: rows, columns: s.outChannels, relu: relu)
        }
    }

    /// Accumulates `dWeight += columns^T x dOutput` and `dBias += column sums of dOutput`; when
    /// `dInput` is given, overwrites it with the input gradient (via `dColumns` scratch).
    /// `dOutput` must already include the activation's backward.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>?, dColumns: UnsafeMutablePointer<Float>?,
        dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, columns: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        shape s: Conv2DShape, threads: Int
    ) {
        Gemm.sgemm(transA: true, transB: false, m: s.columnWidth, n: s.outChannels, k: s.columnRows,
                   a: columns, lda: s.columnWidth, b: dOutput, ldb: s.outChannels,
                   beta: 1, c: dWeight, ldc: s.outChannels)
        columnSums(into: dBias, matrix: dOutput, rows: s.columnRows, columns: s.outChannels)
        guard let dInput, let dColumns else { return }
        Gemm.sgemm(transA: false, transB: true, m: s.columnRows, n: s.columnWidth, k: s.outChannels,
                   a: dOutput, lda: s.outChannels, b: weight, ldb: s.outChannels,
                   beta: 0, c: dColumns, ldc: s.columnWidth)
        col2im(dInput: dInput, dColumns: dColumns, shape: s, threads: threads)
    }

    /// `columns[(n, oh, ow), (kh, kw, c)] = input[n, oh + kh, ow + kw, c]`: each patch row is
    /// K contiguous runs of K*C floats in NHWC.
    public static func im2col(columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, shape s: Conv2DShape, threads: Int) {
        let k = s.kernelSize, c = s.inChannels, run = k &* c
        let oh = s.outHeight, ow = s.outWidth, rowStride = s.width &* c, imageStride = s.height &* rowStride
        parallelRanges(s.batch, threads: threads) { images in
            for n in images {
                let image = input + n &* imageStride
                var out = columns + n &* oh &* ow &* s.columnWidth
                for y in 0..<oh {
                    for x in 0..<ow {
                        for dy in 0..<k {
                            out.update(from: image + ((y &+ dy) &* rowStride &+ x &* c), count: run)
                            out += run
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: `dInput` is overwritten with the sum of every patch's gradient.
    public static func col2im(dInput: UnsafeMutablePointer<Float>, dColumns: UnsafePointer<Float>, shape s: Conv2DShape, threads: Int) {
        let k = s.kernelSize, c = s.inChannels, run = k &* c
        let oh = s.outHeight, ow = s.outWidth, rowStride = s.width &* c, imageStride = s.height &* rowStride
        parallelRanges(s.batch, threads: threads) { images in
            for n in images {
                let image = dInput + n &* imageStride
                image.update(repeating: 0, count: imageStride)
                var src = dColumns + n &* oh &* ow &* s.columnWidth
                for y in 0..<oh {
                    for x in 0..<ow {
                        for dy in 0..<k {
                            let dst = image + ((y &+ dy) &* rowStride &+ x &* c)
                            for i in 0..<run { dst[i] += src[i] }
                            src += run
                        }
                    }
                }
            }
        }
    }

    // MARK: Naive twin (direct convolution) for tests.

    public static func naiveForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, shape s: Conv2DShape, relu: Bool
    ) {
        let k = s.kernelSize, c = s.inChannels, f = s.outChannels
        for n in 0..<s.batch { for y in 0..<s.outHeight { for x in 0..<s.outWidth { for o in 0..<f {
            var sum = Double(bias[o])
            for dy in 0..<k { for dx in 0..<k { for ci in 0..<c {
                let iv = input[((n * s.height + y + dy) * s.width + x + dx) * c + ci]
                let wv = weight[((dy * k + dx) * c + ci) * f + o]
                sum += Double(iv) * Double(wv)
            } } }
            let v = Float(sum)
            output[((n * s.outHeight + y) * s.outWidth + x) * f + o] = relu ? max(v, 0) : v
        } } } }
    }

    public static func naiveBackward(
        dInput: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>, shape s: Conv2DShape
    ) {
        let k = s.kernelSize, c = s.inChannels, f = s.outChannels
        dInput.update(repeating: 0, count: s.inputCount)
        for n in 0..<s.batch { for y in 0..<s.outHeight { for x in 0..<s.outWidth { for o in 0..<f {
            let g = dOutput[((n * s.outHeight + y) * s.outWidth + x) * f + o]
            dBias[o] += g
            for dy in 0..<k { for dx in 0..<k { for ci in 0..<c {
                let ii = ((n * s.height + y + dy) * s.width + x + dx) * c + ci
                let wi = ((dy * k + dx) * c + ci) * f + o
                dWeight[wi] += input[ii] * g
                dInput[ii] += weight[wi] * g
            } } }
        } } } }
    }
}

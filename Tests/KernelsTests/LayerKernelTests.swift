import Kernels
import Randomness
import XCTest

final class LayerKernelTests: XCTestCase {
    let shape = Conv2DShape(batch: 3, height: 9, width: 8, inChannels: 4, outChannels: 5, kernelSize: 3)

    func testConvForwardEqualsDirectConvolution() {
        let s = shape
        let input = randomBuffer(s.inputCount, seed: 1), w = randomBuffer(s.weightCount, seed: 2), b = randomBuffer(s.outChannels, seed: 3)
        for relu in [false, true] {
            for threads in [1, 2] {
                let fast = FloatBuffer(count: s.outputCount), slow = FloatBuffer(count: s.outputCount)
                let cols = FloatBuffer(count: s.columnRows * s.columnWidth)
                Conv2D.forward(output: fast.pointer, columns: cols.pointer, input: input.pointer, weight: w.pointer, bias: b.pointer, shape: s, relu: relu, threads: threads)
                Conv2D.naiveForward(output: slow.pointer, input: input.pointer, weight: w.pointer, bias: b.pointer, shape: s, relu: relu)
                assertClose(fast, slow, tolerance: 1e-5, "conv forward relu=\(relu) threads=\(threads)")
            }
        }
    }

    func testConvBackwardEqualsDirectConvolutionAdjoint() {
        let s = shape
        let input = randomBuffer(s.inputCount, seed: 1), w = randomBuffer(s.weightCount, seed: 2), b = randomBuffer(s.outChannels, seed: 3)
        let dOut = randomBuffer(s.outputCount, seed: 4)
        let cols = FloatBuffer(count: s.columnRows * s.columnWidth), out = FloatBuffer(count: s.outputCount)
        Conv2D.forward(output: out.pointer, columns: cols.pointer, input: input.pointer, weight: w.pointer, bias: b.pointer, shape: s, relu: false, threads: 2)
        // Gradients accumulate: start both from the same non-zero values.
        let dW = randomBuffer(s.weightCount, seed: 5), dB = randomBuffer(s.outChannels, seed: 6)
        let dWn = FloatBuffer(count: s.weightCount), dBn = FloatBuffer(count: s.outChannels)
        dWn.copy(from: dW); dBn.copy(from: dB)
        let dIn = FloatBuffer(count: s.inputCount), dInN = FloatBuffer(count: s.inputCount)
        let dCols = FloatBuffer(count: s.columnRows * s.columnWidth)
        Conv2D.backward(dInput: dIn.pointer, dColumns: dCols.pointer, dWeight: dW.pointer, dBias: dB.pointer, dOutput: dOut.pointer,
                        columns: cols.pointer, weight: w.pointer, shape: s, threads: 2)
        Conv2D.naiveBackward(dInput: dInN.pointer, dWeight: dWn.pointer, dBias: dBn.pointer, dOutput: dOut.pointer,
                             input: input.pointer, weight: w.pointer, shape: s)
        assertClose(dW, dWn, tolerance: 1e-4, "dWeight")
        assertClose(dB, dBn, tolerance: 1e-4, "dBias")
        assertClose(dIn, dInN, tolerance: 1e-4, "dInput")
    }

    func testConvGradientByFiniteDifferences() {
        // Loss = sum(output * r): its gradient with respect to input and weights is known exactly.
        let s = Conv2DShape(batch: 2, height: 5, width: 6, inChannels: 2, outChannels: 3, kernelSize: 3)
        let input = randomBuffer(s.inputCount, seed: 7), w = randomBuffer(s.weightCount, seed: 8), b = randomBuffer(3, seed: 9)
        let r = randomBuffer(s.outputCount, seed: 10)
        let cols = FloatBuffer(count: s.columnRows * s.columnWidth), out = FloatBuffer(count: s.outputCount)
        func loss() -> Double {
            Conv2D.forward(output: out.pointer, columns: cols.pointer, input: input.pointer, weight: w.pointer, bias: b.pointer, shape: s, relu: false, threads: 1)
            return (0..<s.outputCount).reduce(0.0) { $0 + Double(out.pointer[$1]) * Double(r.pointer[$1]) }
        }
        _ = loss()
        let dW = FloatBuffer(count: s.weightCount), dB = FloatBuffer(count: 3), dIn = FloatBuffer(count: s.inputCount)
        let dCols = FloatBuffer(count: s.columnRows * s.columnWidth)
        Conv2D.backward(dInput: dIn.pointer, dColumns: dCols.pointer, dWeight: dW.pointer, dBias: dB.pointer, dOutput: r.pointer,
                        columns: cols.pointer, weight: w.pointer, shape: s, threads: 1)
        for (buffer, grad, name) in [(w, dW, "weight"), (input, dIn, "input"), (b, dB, "bias")] {
            for i in stride(from: 0, to: buffer.count, by: max(1, buffer.count / 17)) {
                let keep = buffer.pointer[i], h: Float = 1e-2
                buffer.pointer[i] = keep + h; let up = loss()
                buffer.pointer[i] = keep - h; let down = loss()
                buffer.pointer[i] = keep
                let numeric = (up - down) / Double(2 * h)
                XCTAssertEqual(Double(grad.pointer[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "d\(name)[\(i)]")
            }
        }
    }

    func testMaxPoolRoutesGradientToTheMaximumAndDropsOddEdges() {
        let n = 2, h = 5, w = 7, c = 3
        let input = randomBuffer(n * h * w * c, seed: 11)
        let out = FloatBuffer(count: n * 2 * 3 * c), arg = UnsafeMutablePointer<UInt8>.allocate(capacity: n * 2 * 3 * c)
        defer { arg.deallocate() }
        MaxPool2D.forward(output: out.pointer, argmax: arg, input: input.pointer, batch: n, height: h, width: w, channels: c, threads: 2)
        let dOut = randomBuffer(out.count, seed: 12), dIn = randomBuffer(input.count, seed: 13)
        MaxPool2D.backward(dInput: dIn.pointer, dOutput: dOut.pointer, argmax: arg, batch: n, height: h, width: w, channels: c, threads: 2)
        // Naive twin.
        let expected = FloatBuffer(count: input.count)
        for b in 0..<n { for y in 0..<2 { for x in 0..<3 { for ch in 0..<c {
            var best = -Float.infinity, bestIndex = 0
            for dy in 0..<2 { for dx in 0..<2 {
                let i = ((b * h + 2 * y + dy) * w + 2 * x + dx) * c + ch
                if input.pointer[i] > best { best = input.pointer[i]; bestIndex = i }
            } }
            let o = ((b * 2 + y) * 3 + x) * c + ch
            XCTAssertEqual(out.pointer[o], best)
            expected.pointer[bestIndex] = dOut.pointer[o]
        } } } }
        XCTAssertEqual(dIn.array, expected.array)
    }

    func testDenseEqualsNaiveAndAccumulates() {
        let n = 4, k = 6, d = 5
        let x = randomBuffer(n * k, seed: 1), w = randomBuffer(k * d, seed: 2), b = randomBuffer(d, seed: 3)
        let y = FloatBuffer(count: n * d)
        Dense.forward(output: y.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, batch: n, inFeatures: k, outFeatures: d, relu: false)
        for i in 0..<n { for j in 0..<d {
            var s = b.pointer[j]
            for p in 0..<k { s += x.pointer[i * k + p] * w.pointer[p * d + j] }
            XCTAssertEqual(y.pointer[i * d + j], s, accuracy: 1e-5)
        } }
        let dY = randomBuffer(n * d, seed: 4), dW = FloatBuffer(count: k * d), dB = FloatBuffer(count: d), dX = FloatBuffer(count: n * k)
        for _ in 0..<2 {
            Dense.backward(dInput: dX.pointer, dWeight: dW.pointer, dBias: dB.pointer, dOutput: dY.pointer, input: x.pointer, weight: w.pointer, batch: n, inFeatures: k, outFeatures: d)
        }
        for p in 0..<k { for j in 0..<d {
            var s: Float = 0
            for i in 0..<n { s += x.pointer[i * k + p] * dY.pointer[i * d + j] }
            XCTAssertEqual(dW.pointer[p * d + j], 2 * s, accuracy: 1e-4, "dW accumulates over two calls")
        } }
        for i in 0..<n { for p in 0..<k {
            var s: Float = 0
            for j in 0..<d { s += dY.pointer[i * d + j] * w.pointer[p * d + j] }
            XCTAssertEqual(dX.pointer[i * k + p], s, accuracy: 1e-5, "dX is overwritten, not accumulated")
        } }
    }

    func testGlobalAveragePoolAndDropout() {
        let n = 2, px = 4, c = 3
        let x = randomBuffer(n * px * c, seed: 1), y = FloatBuffer(count: n * c)
        GlobalAveragePool.forward(output: y.pointer, input: x.pointer, batch: n, pixels: px, channels: c)
        XCTAssertEqual(y.pointer[c + 1], (0..<px).map { x.pointer[(px + $0) * c + 1] }.reduce(0, +) / Float(px), accuracy: 1e-6)
        let dx = FloatBuffer(count: x.count)
        GlobalAveragePool.backward(dInput: dx.pointer, dOutput: y.pointer, batch: n, pixels: px, channels: c)
        XCTAssertEqual(dx.pointer[(px + 2) * c + 1], y.pointer[c + 1] / Float(px), accuracy: 1e-7)

        let count = 10_000
        let ones = FloatBuffer([Float](repeating: 1, count: count)), out = FloatBuffer(count: count), mask = FloatBuffer(count: count)
        var rng = SplitMix64(seed: 5)
        Dropout.forward(output: out.pointer, mask: mask.pointer, input: ones.pointer, count: count, rate: 0.5, rng: &rng)
        let kept = out.array.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 }, "kept elements are scaled by 1/(1-rate)")
        XCTAssertEqual(Double(kept.count) / Double(count), 0.5, accuracy: 0.03)
    }

    func testBinaryCrossEntropyIsStableAndItsGradientMatchesFiniteDifferences() {
        let logits = FloatBuffer([-300, -3, -0.5, 0, 0.7, 4, 300]), labels = FloatBuffer([1, 0, 1, 1, 0, 1, 0])
        let loss = BinaryCrossEntropy.forward(logits: logits.pointer, labels: labels.pointer, count: 7)
        XCTAssertTrue(loss.isFinite)
        XCTAssertEqual(Double(loss), (300 + log1p(exp(-3)) + 0.5 + log1p(exp(-0.5)) + log(2) + 0.7 + log1p(exp(-0.7)) + log1p(exp(-4)) + 300) / 7, accuracy: 1e-3)
        let d = FloatBuffer(count: 7)
        BinaryCrossEntropy.backward(dLogits: d.pointer, logits: logits.pointer, labels: labels.pointer, count: 7)
        // Finite differences on the moderate logits alone (the +-300 terms swamp Float rounding).
        let moderate = FloatBuffer(Array(logits.array[1..<6])), moderateLabels = FloatBuffer(Array(labels.array[1..<6]))
        for i in 0..<5 {
            let keep = moderate.pointer[i], h: Float = 1e-2
            moderate.pointer[i] = keep + h; let up = BinaryCrossEntropy.forward(logits: moderate.pointer, labels: moderateLabels.pointer, count: 5)
            moderate.pointer[i] = keep - h; let down = BinaryCrossEntropy.forward(logits: moderate.pointer, labels: moderateLabels.pointer, count: 5)
            moderate.pointer[i] = keep
            XCTAssertEqual(d.pointer[i + 1] * 7 / 5, (up - down) / (2 * h), accuracy: 1e-4)
        }
        XCTAssertEqual(d.pointer[0], -1 / 7, accuracy: 1e-6)
        XCTAssertEqual(d.pointer[6], 1 / 7, accuracy: 1e-6)
    }
}

final class AdamUpdateTests: XCTestCase {
    func testVectorisedUpdateEqualsNaiveTwinIncludingTheTail() {
        let n = 1003  // not a multiple of 8
        let g = randomBuffer(n, seed: 1), w1 = randomBuffer(n, seed: 2), m1 = randomBuffer(n, seed: 3, scale: 0.1)
        let v1 = FloatBuffer(count: n)
        for i in 0..<n { v1.pointer[i] = Float(i % 17) * 1e-4 }
        let w2 = FloatBuffer(count: n), m2 = FloatBuffer(count: n), v2 = FloatBuffer(count: n)
        w2.copy(from: w1); m2.copy(from: m1); v2.copy(from: v1)
        AdamUpdate.apply(weights: w1.pointer, gradients: g.pointer, m: m1.pointer, v: v1.pointer, range: 3..<n,
                         alpha: 1e-3, oneMinusBeta1: 0.1, oneMinusBeta2: 0.001, epsilon: 1e-7)
        AdamUpdate.naive(weights: w2.pointer, gradients: g.pointer, m: m2.pointer, v: v2.pointer, range: 3..<n,
                         alpha: 1e-3, oneMinusBeta1: 0.1, oneMinusBeta2: 0.001, epsilon: 1e-7)
        XCTAssertEqual(w1.array, w2.array)
        XCTAssertEqual(m1.array, m2.array)
        XCTAssertEqual(v1.array, v2.array)
    }
}

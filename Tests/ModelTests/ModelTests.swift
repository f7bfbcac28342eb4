import Kernels
import Model
import Randomness
import XCTest

final class ModelTests: XCTestCase {
    func testParameterCountsEqualKeras() {
        XCTAssertEqual(Architecture.cnn2d(dense: 32).parameterCount, 93_185)
        XCTAssertEqual(Architecture.cnn2d(dense: 64).parameterCount, 2304 * 64 + 64 + 65 + 896 + 18_496)
        XCTAssertEqual(Architecture.cnn2d(dense: 4096).parameterCount, 9_464_769)
        XCTAssertEqual(Architecture.cnn2dExtended().parameterCount, 21_505)
    }

    func testGlorotInitialisationRespectsLimitsAndIsSeeded() {
        let a = Network(architecture: .cnn2d(dense: 32), maxBatch: 1), b = Network(architecture: .cnn2d(dense: 32), maxBatch: 1)
        a.initialize(seed: 3); b.initialize(seed: 3)
        XCTAssertEqual(a.parameters.checksum(), b.parameters.checksum())
        b.initialize(seed: 4)
        XCTAssertNotEqual(a.parameters.checksum(), b.parameters.checksum())
        let dense = a.layout["dense.kernel"], limit = (6.0 / Float(2304 + 32)).squareRoot()
        let values = a.parameters.array[dense.range]
        XCTAssertLessThanOrEqual(values.map(abs).max()!, limit)
        XCTAssertGreaterThan(values.map(abs).max()!, 0.95 * limit)
        XCTAssertTrue(a.parameters.array[a.layout["dense.bias"].range].allSatisfy { $0 == 0 })
    }

    /// The whole network's backward (Float, fast kernels) against central finite differences of
    /// the loss computed by a Double-precision naive twin of the whole network.
    func testEndToEndGradientMatchesFiniteDifferences() {
        for architecture in [Architecture.cnn2d(dense: 8), .cnn2dExtended()] {
            let n = 1
            let net = Network(architecture: architecture, maxBatch: n, threads: 2)
            net.initialize(seed: 11)
            var rng = SplitMix64(seed: 12)
            let input = FloatBuffer(count: n * 32 * 32 * 3)
            for i in 0..<input.count { input.pointer[i] = rng.nextUnitFloat() }
            let labels = FloatBuffer([1])
            let dLogits = FloatBuffer(count: n)
            // Dropout is random in training; compare in inference mode, where the maths is fixed.
            let logits = net.forward(input: input.pointer, batch: n, dropout: nil)
            net.zeroGradients()
            BinaryCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits, labels: labels.pointer, count: n)
            net.backward(dLogits: dLogits.pointer)

            let reference = ReferenceNetwork(architecture)
            var p = net.parameters.array.map(Double.init)
            let x = input.array.map(Double.init), y = labels.array.map(Double.init)
            var fastLoss = 0.0
            for i in 0..<n {
                let z = Double(logits[i])
                fastLoss += (max(z, 0) - z * y[i] + log1p(exp(-abs(z)))) / Double(n)
            }
            XCTAssertEqual(fastLoss, reference.loss(parameters: p, input: x, labels: y), accuracy: 1e-5, "forward equals the reference")
            var checked = 0
            for spec in net.layout.tensors {
                for i in stride(from: spec.offset, to: spec.offset + spec.count, by: max(1, spec.count / 3)) {
                    let keep = p[i], h = 1e-6
                    p[i] = keep + h; let up = reference.loss(parameters: p, input: x, labels: y)
                    p[i] = keep - h; let down = reference.loss(parameters: p, input: x, labels: y)
                    p[i] = keep
                    let numeric = (up - down) / (2 * h)
                    XCTAssertEqual(Double(net.gradients.pointer[i]), numeric, accuracy: 1e-3 * max(abs(numeric), 1e-2),
                                   "\(architecture.displayName) \(spec.name)[\(i - spec.offset)]")
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, 25)
        }
    }

    /// A recipe's `dropout` overrides the plan's rate: 0 is the identity (training logits equal
    /// inference's), the paper's 0.5 zeroes about half of the pooled features, and a rate the
    /// stream leaves unset is the plan's.
    func testTheStreamsRateOverridesThePlansDropout() {
        let n = 16
        var rng = SplitMix64(seed: 4)
        let input = FloatBuffer(count: n * 3072)
        for i in 0..<input.count { input.pointer[i] = rng.nextUnitFloat() }
        let net = Network(architecture: .cnn2dExtended(), maxBatch: n, threads: 1)
        net.initialize(seed: 3)
        func logits(_ dropout: Network.DropoutStream?) -> [Float] {
            Array(UnsafeBufferPointer(start: net.forward(input: input.pointer, batch: n, dropout: dropout), count: n))
        }
        let inference = logits(nil)
        XCTAssertEqual(logits(.init(seed: 1, step: 0, firstSample: 0, rate: 0)), inference, "rate 0 is the identity")
        let planned = logits(.init(seed: 1, step: 0, firstSample: 0))
        XCTAssertEqual(logits(.init(seed: 1, step: 0, firstSample: 0, rate: 0.5)), planned, "unset is the plan's 0.5")
        XCTAssertNotEqual(planned, inference)
        XCTAssertNotEqual(logits(.init(seed: 1, step: 0, firstSample: 0, rate: 0.2)), planned)
    }

    /// Splitting a batch into lanes changes only the order of float sums, never the maths.
    func testLanesGiveTheSameLogitsAndGradientsAsOneThread() {
        for architecture in [Architecture.cnn2d(dense: 24), .cnn2dExtended()] {
            let n = 7
            var rng = SplitMix64(seed: 21)
            let input = FloatBuffer(count: n * 3072)
            for i in 0..<input.count { input.pointer[i] = rng.nextUnitFloat() }
            let labels = FloatBuffer((0..<n).map { Float($0 % 2) })
            func run(threads: Int) -> (logits: [Float], gradients: FloatBuffer) {
                let net = Network(architecture: architecture, maxBatch: n, threads: threads)
                net.initialize(seed: 5)
                let z = net.forward(input: input.pointer, batch: n, dropout: .init(seed: 1, step: 0, firstSample: 0))
                let d = FloatBuffer(count: n)
                BinaryCrossEntropy.backward(dLogits: d.pointer, logits: z, labels: labels.pointer, count: n)
                net.zeroGradients()
                net.backward(dLogits: d.pointer)
                return (Array(UnsafeBufferPointer(start: z, count: n)), net.gradients)
            }
            let one = run(threads: 1)
            for threads in [2, 3] {
                let many = run(threads: threads)
                for i in 0..<n { XCTAssertEqual(many.logits[i], one.logits[i], accuracy: 1e-5) }
                var worst: Float = 0
                for i in 0..<one.gradients.count {
                    worst = max(worst, abs(many.gradients.pointer[i] - one.gradients.pointer[i]) / max(1e-3, abs(one.gradients.pointer[i])))
                }
                XCTAssertLessThan(worst, 1e-3, "\(architecture.displayName), \(threads) lanes")
            }
        }
    }

    /// Gradients supplied block by block (as a compressed reducer supplies them) give the bits
    /// of gradients read from the buffer, on one thread or several, whichever blocks are supplied.
    func testAdamWithSuppliedBlocksEqualsAdamWithTheBuffer() {
        let count = 100_003
        var rng = SystemRandomNumberGenerator()
        let values = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
        for threads in [1, 3] {
            // Every block supplied (b: from a zero buffer, some blocks not supplied, must differ).
            let wA = FloatBuffer(values), wB = FloatBuffer(values)
            let g = FloatBuffer(values.map { $0 * 0.01 }), zeros = FloatBuffer(count: count)
            let a = Adam(parameterCount: count), b = Adam(parameterCount: count)
            for _ in 0..<3 {
                a.update(parameters: wA, gradients: g, learningRate: 1e-3, threads: threads)
                // The supplier provides every other block; the buffer it is given holds zeros.
                b.update(parameters: wB, gradients: zeros, learningRate: 1e-3, threads: threads) { range, block in
                    guard (range.lowerBound / 1000) % 2 == 0 else { return false }
                    block.update(from: g.pointer + range.lowerBound, count: range.count)
                    return true
                }
            }
            XCTAssertNotEqual(wA.array, wB.array, "blocks not supplied read the (zero) buffer")
            let c = Adam(parameterCount: count), wC = FloatBuffer(values)
            for _ in 0..<3 {
                c.update(parameters: wC, gradients: zeros, learningRate: 1e-3, threads: threads) { range, block in
                    block.update(from: g.pointer + range.lowerBound, count: range.count)
                    return true
                }
            }
            XCTAssertEqual(wC.array.map(\.bitPattern), wA.array.map(\.bitPattern), "\(threads) thread(s)")
            XCTAssertEqual(c.m.array.map(\.bitPattern), a.m.array.map(\.bitPattern))
        }
    }

    func testZeroGradientsKeepsTheRangesAReducerHolds() throws {
        let network = Network(architecture: try Architecture(model: "cnn2d", dense: 32), maxBatch: 1)
        for i in 0..<network.gradients.count { network.gradients.pointer[i] = Float(i % 7 + 1) }
        let kept = [10..<20, 100..<101, (network.gradients.count - 5)..<network.gradients.count]
        network.zeroGradients(keeping: kept)
        for i in 0..<network.gradients.count {
            let inside = kept.contains { $0.contains(i) }
            XCTAssertEqual(network.gradients.pointer[i], inside ? Float(i % 7 + 1) : 0, "element \(i)")
        }
    }

    func testAdamMatchesKerasFormulaOnAScalar() {
        let w = FloatBuffer([0.5]), g = FloatBuffer([0.2])
        let adam = Adam(parameterCount: 1)
        var m = 0.0, v = 0.0, x = 0.5
        for t in 1...3 {
            adam.update(parameters: w, gradients: g, learningRate: 1e-3, threads: 1)
            m += (0.2 - m) * 0.1
            v += (0.04 - v) * 0.001
            let alpha = 1e-3 * (1 - Foundation.pow(0.999, Double(t))).squareRoot() / (1 - Foundation.pow(0.9, Double(t)))
            x -= alpha * m / (v.squareRoot() + 1e-7)
            XCTAssertEqual(Double(w.pointer[0]), x, accuracy: 1e-7)
        }
    }
}

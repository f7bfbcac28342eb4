import Foundation
import Kernels
@testable import Model
import Randomness
import XCTest

/// The whole network as obvious loops in Double precision: the oracle for the end-to-end
/// gradient check. In Double a step of 1e-6 neither crosses ReLU/max-pool kinks (in practice)
/// nor drowns in rounding, so its central differences are trustworthy.
struct ReferenceNetwork {
    let architecture: Architecture
    let layout: ParameterLayout
    /// Written out by the caller, not read from a plan: the input's side and channels, both
    /// convolutions' kernel size and filters (2x2 pooling and 'valid' padding throughout).
    let side, channels, kernel, filters1, filters2: Int

    init(_ architecture: Architecture) {
        self.init(architecture, layout: architecture.layout, side: 32, channels: 3, kernel: 3, filters: (32, 64))
    }

    /// A network of other constants; `layout` only says where each named tensor starts.
    init(_ architecture: Architecture, layout: ParameterLayout, side: Int, channels: Int, kernel: Int, filters: (Int, Int)) {
        self.architecture = architecture
        self.layout = layout
        self.side = side; self.channels = channels; self.kernel = kernel
        (filters1, filters2) = filters
    }

    func loss(parameters p: [Double], input: [Double], labels: [Double]) -> Double {
        let n = labels.count
        var total = 0.0
        for b in 0..<n {
            let pixels = side * side * channels
            let image = Array(input[(b * pixels)..<((b + 1) * pixels)])
            let side1 = side - kernel + 1, pooled1 = side1 / 2, side2 = pooled1 - kernel + 1, pooled2 = side2 / 2
            let c1 = pool(conv(image, side, channels, filters1, p, "conv1"), side1, filters1)
            let c2 = pool(conv(c1, pooled1, filters1, filters2, p, "conv2"), side2, filters2)
            var features = c2
            if architecture.isExtended {
                features = (0..<filters2).map { c in
                    stride(from: c, to: c2.count, by: filters2).map { c2[$0] }.reduce(0, +) / Double(pooled2 * pooled2)
                }
            }
            let hidden = dense(features, p, "dense", relu: true)
            let z = dense(hidden, p, "output", relu: false)[0]
            let y = labels[b]
            total += max(z, 0) - z * y + log1p(exp(-abs(z)))
        }
        return total / Double(n)
    }

    /// dLoss/dp[i] by central differences.
    func numericGradient(at i: Int, parameters: [Double], input: [Double], labels: [Double]) -> Double {
        var p = parameters
        let h = 1e-6
        p[i] = parameters[i] + h
        let up = loss(parameters: p, input: input, labels: labels)
        p[i] = parameters[i] - h
        return (up - loss(parameters: p, input: input, labels: labels)) / (2 * h)
    }

    /// The mean binary cross-entropy of `logits` (the stable form).
    static func loss(logits: [Double], labels: [Double]) -> Double {
        zip(logits, labels).map { z, y in max(z, 0) - z * y + log1p(exp(-abs(z))) }.reduce(0, +) / Double(labels.count)
    }

    private func conv(_ x: [Double], _ size: Int, _ cin: Int, _ cout: Int, _ p: [Double], _ name: String) -> [Double] {
        let w = layout["\(name).kernel"].offset, bias = layout["\(name).bias"].offset, out = size - kernel + 1
        var y = [Double](repeating: 0, count: out * out * cout)
        for r in 0..<out { for c in 0..<out { for o in 0..<cout {
            var s = p[bias + o]
            for dy in 0..<kernel { for dx in 0..<kernel { for i in 0..<cin {
                s += x[((r + dy) * size + c + dx) * cin + i] * p[w + ((dy * kernel + dx) * cin + i) * cout + o]
            } } }
            y[(r * out + c) * cout + o] = max(s, 0)
        } } }
        return y
    }

    private func pool(_ x: [Double], _ size: Int, _ channels: Int) -> [Double] {
        let out = size / 2
        var y = [Double](repeating: 0, count: out * out * channels)
        for r in 0..<out { for c in 0..<out { for ch in 0..<channels {
            var m = -Double.infinity
            for dy in 0..<2 { for dx in 0..<2 { m = max(m, x[((2 * r + dy) * size + 2 * c + dx) * channels + ch]) } }
            y[(r * out + c) * channels + ch] = m
        } } }
        return y
    }

    private func dense(_ x: [Double], _ p: [Double], _ name: String, relu: Bool) -> [Double] {
        let spec = layout["\(name).kernel"], bias = layout["\(name).bias"].offset
        let inputs = spec.shape[0], outputs = spec.shape[1]
        return (0..<outputs).map { j in
            var s = p[bias + j]
            for i in 0..<inputs { s += x[i] * p[spec.offset + i * outputs + j] }
            return relu ? max(s, 0) : s
        }
    }
}

/// Trains nothing: runs `plan`'s network (a batch of `labels.count` seeded images, split into
/// lanes by 2 threads) forward and backward, and checks the loss and every third of each tensor's
/// gradient against `reference`'s Double-precision loss and central differences.
func assertNetworkMatchesReference(_ plan: ShapePlan, _ reference: ReferenceNetwork, labels: [Float], seed: UInt64,
                                   file: StaticString = #filePath, line: UInt = #line) {
    let name = plan.architecture.displayName
    let n = labels.count
    let net = Network(plan: plan, maxBatch: n, threads: 2)
    net.initialize(seed: seed)
    var rng = SplitMix64(seed: seed + 1)
    let input = FloatBuffer(count: n * plan.perImage.input)
    for i in 0..<input.count { input.pointer[i] = rng.nextUnitFloat() }
    let labelBuffer = FloatBuffer(labels)
    let dLogits = FloatBuffer(count: n)
    let logits = net.forward(input: input.pointer, batch: n, dropout: nil)
    net.zeroGradients()
    BinaryCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits, labels: labelBuffer.pointer, count: n)
    net.backward(dLogits: dLogits.pointer)

    let p = net.parameters.array.map(Double.init), x = input.array.map(Double.init), y = labels.map(Double.init)
    XCTAssertEqual(ReferenceNetwork.loss(logits: (0..<n).map { Double(logits[$0]) }, labels: y),
                   reference.loss(parameters: p, input: x, labels: y), accuracy: 1e-5, "\(name): forward equals the reference",
                   file: file, line: line)
    for spec in plan.parameters.tensors {
        for i in stride(from: spec.offset, to: spec.range.upperBound, by: max(1, spec.count / 3)) {
            let numeric = reference.numericGradient(at: i, parameters: p, input: x, labels: y)
            XCTAssertEqual(Double(net.gradients.pointer[i]), numeric, accuracy: 1e-3 * max(abs(numeric), 1e-2),
                           "\(name) \(spec.name)[\(i - spec.offset)]", file: file, line: line)
        }
    }
}

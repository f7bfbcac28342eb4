import Foundation
import Model

/// The whole network as obvious loops in Double precision: the oracle for the end-to-end
/// gradient check. In Double a step of 1e-6 neither crosses ReLU/max-pool kinks (in practice)
/// nor drowns in rounding, so its central differences are trustworthy.
struct ReferenceNetwork {
    let architecture: Architecture
    let layout: ParameterLayout

    init(_ architecture: Architecture) {
        self.architecture = architecture
        layout = architecture.layout
    }

    func loss(parameters p: [Double], input: [Double], labels: [Double]) -> Double {
        let n = labels.count
        var total = 0.0
        for b in 0..<n {
            let image = Array(input[(b * 3072)..<((b + 1) * 3072)])
            let c1 = pool(conv(image, 32, 3, 32, p, "conv1"), 30, 32)
            let c2 = pool(conv(c1, 15, 32, 64, p, "conv2"), 13, 64)
            var features = c2
            if architecture == .cnn2dExtended {
                features = (0..<64).map { c in stride(from: c, to: c2.count, by: 64).map { c2[$0] }.reduce(0, +) / 36 }
            }
            let hidden = dense(features, p, "dense", relu: true)
            let z = dense(hidden, p, "output", relu: false)[0]
            let y = labels[b]
            total += max(z, 0) - z * y + log1p(exp(-abs(z)))
        }
        return total / Double(n)
    }

    private func conv(_ x: [Double], _ size: Int, _ cin: Int, _ cout: Int, _ p: [Double], _ name: String) -> [Double] {
        let w = layout["\(name).kernel"].offset, bias = layout["\(name).bias"].offset, out = size - 2
        var y = [Double](repeating: 0, count: out * out * cout)
        for r in 0..<out { for c in 0..<out { for o in 0..<cout {
            var s = p[bias + o]
            for dy in 0..<3 { for dx in 0..<3 { for i in 0..<cin {
                s += x[((r + dy) * size + c + dx) * cin + i] * p[w + ((dy * 3 + dx) * cin + i) * cout + o]
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

import Kernels

/// Adam, exactly as Keras 3 applies it (defaults lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7):
/// `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, `m += (g - m)(1 - beta1)`,
/// `v += (g^2 - v)(1 - beta2)`, `w -= alpha * m / (sqrt(v) + eps)`.
/// The moments share the parameter buffer's layout, so the update is one loop.
public final class Adam {
    public struct Hyperparameters: Sendable, Equatable, Codable {
        public var learningRate: Float = 1e-3
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-7
        public init() {}
    }

    public var hyper: Hyperparameters
    public let m: FloatBuffer
    public let v: FloatBuffer
    /// Updates applied so far (Keras's `iterations`).
    public var step: Int = 0

    public init(parameterCount: Int, hyper: Hyperparameters = .init()) {
        self.hyper = hyper
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
    }

    /// Applies one update with the given learning rate (a schedule may vary it per step).
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, threads: Int) {
        precondition(parameters.count == m.count && gradients.count == m.count, "Adam: buffer sizes differ")
        step += 1
        let t = Double(step)
        let alpha = Float(Double(learningRate) * (1 - pow(Double(hyper.beta2), t)).squareRoot() / (1 - pow(Double(hyper.beta1), t)))
        let b1 = 1 - hyper.beta1, b2 = 1 - hyper.beta2, eps = hyper.epsilon
        let w = parameters.pointer, g = gradients.pointer, mp = m.pointer, vp = v.pointer
        parallelRanges(m.count, threads: threads) { range in
            AdamUpdate.apply(weights: w, gradients: g, m: mp, v: vp, range: range,
                             alpha: alpha, oneMinusBeta1: b1, oneMinusBeta2: b2, epsilon: eps)
        }
    }
}

private func pow(_ x: Double, _ y: Double) -> Double {
    var result = 1.0
    var n = Int(y)
    var base = x
    while n > 0 {
        if n & 1 == 1 { result *= base }
        base *= base
        n >>= 1
    }
    return result
}

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
    /// Writes the gradients of `range` into `block` (`range.count` floats) and returns true, or
    /// returns false when the gradient buffer holds them.
    public typealias BlockGradients = (_ range: Range<Int>, _ block: UnsafeMutablePointer<Float>) -> Bool

    /// Elements per block when a `BlockGradients` supplies them (64 KiB: the block stays in L1/L2
    /// between being written and being read).
    static let blockElements = 1 << 14

    /// One Adam step. `supply`, when given, provides gradients block by block just before they
    /// are used (a compressed reducer reconstructs them there, so they never travel to memory).
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, threads: Int,
                       supply: BlockGradients? = nil) {
        precondition(parameters.count == m.count && gradients.count == m.count, "Adam: buffer sizes differ")
        step += 1
        let t = Double(step)
        let alpha = Float(Double(learningRate) * (1 - pow(Double(hyper.beta2), t)).squareRoot() / (1 - pow(Double(hyper.beta1), t)))
        let b1 = 1 - hyper.beta1, b2 = 1 - hyper.beta2, eps = hyper.epsilon
        let w = parameters.pointer, g = gradients.pointer, mp = m.pointer, vp = v.pointer
        parallelRanges(m.count, threads: threads) { range in
            guard let supply else {
                AdamUpdate.apply(weights: w, gradients: g, m: mp, v: vp, range: range,
                                 alpha: alpha, oneMinusBeta1: b1, oneMinusBeta2: b2, epsilon: eps)
                return
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.blockElements) { scratch in
                let block = scratch.baseAddress!
                var start = range.lowerBound
                while start < range.upperBound {
                    let part = start..<min(start + Self.blockElements, range.upperBound)
                    // Indexed by absolute element: the block's pointer is shifted back by its start.
                    let source: UnsafePointer<Float> = supply(part, block) ? UnsafePointer(block - part.lowerBound) : UnsafePointer(g)
                    AdamUpdate.apply(weights: w, gradients: source, m: mp, v: vp, range: part,
                                     alpha: alpha, oneMinusBeta1: b1, oneMinusBeta2: b2, epsilon: eps)
                    start = part.upperBound
                }
            }
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

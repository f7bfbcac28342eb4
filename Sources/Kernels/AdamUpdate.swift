/// The Adam update over flat buffers, eight lanes at a time (the hot loop of the optimizer):
/// `m += (g - m)(1 - beta1)`, `v += (g^2 - v)(1 - beta2)`, `w -= alpha m / (sqrt(v) + eps)`.
/// Memory-bound: it reads w, g, m, v and writes w, m, v, 28 bytes per parameter.
public enum AdamUpdate {
    public static func apply(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, range: Range<Int>,
        alpha: Float, oneMinusBeta1 b1: Float, oneMinusBeta2 b2: Float, epsilon eps: Float
    ) {
        var i = range.lowerBound
        let a8 = SIMD8<Float>(repeating: alpha), b18 = SIMD8<Float>(repeating: b1), b28 = SIMD8<Float>(repeating: b2)
        let e8 = SIMD8<Float>(repeating: eps)
        while i &+ 8 <= range.upperBound {
            let gi = load8(g + i)
            let mi = load8(m + i) + (gi - load8(m + i)) * b18
            let vi = load8(v + i) + (gi * gi - load8(v + i)) * b28
            store8(mi, m + i)
            store8(vi, v + i)
            store8(load8(w + i) - a8 * mi / (vi.squareRoot() + e8), w + i)
            i &+= 8
        }
        while i < range.upperBound {
            let gi = g[i]
            let mi = m[i] + (gi - m[i]) * b1
            let vi = v[i] + (gi * gi - v[i]) * b2
            m[i] = mi
            v[i] = vi
            w[i] -= alpha * mi / (vi.squareRoot() + eps)
            i &+= 1
        }
    }

    /// The same update, one element at a time: the twin tests compare against.
    public static func naive(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, range: Range<Int>,
        alpha: Float, oneMinusBeta1 b1: Float, oneMinusBeta2 b2: Float, epsilon eps: Float
    ) {
        for i in range {
            m[i] = m[i] + (g[i] - m[i]) * b1
            v[i] = v[i] + (g[i] * g[i] - v[i]) * b2
            w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
        }
    }
}

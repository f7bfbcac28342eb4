/// Smoothing of noisy per-step curves, as TensorBoard draws them: an exponential moving average,
/// debiased so the first points are not pulled towards zero.
public enum Smoothing {
    /// s_i = m_i / (1 - w^k), m_i = w * m_{i-1} + (1 - w) * v_i over the k finite values so far;
    /// a non-finite value gives NaN and leaves the average as it was. `weight` in [0, 1): 0
    /// returns the values unchanged.
    public static func exponentialMovingAverage(_ values: [Double], weight: Double) -> [Double] {
        precondition(weight >= 0 && weight < 1, "Smoothing: expected a weight in [0, 1), found \(weight)")
        var m = 0.0, wk = 1.0  // wk = weight^k
        return values.map { v in
            guard v.isFinite else { return .nan }
            m = weight * m + (1 - weight) * v
            wk *= weight
            return m / (1 - wk)
        }
    }

    /// A weight that averages over about a twentieth of `count` points (0.6, TensorBoard's
    /// default, for short curves; at most 0.98).
    public static func defaultWeight(count: Int) -> Double {
        min(0.98, max(0.6, 1 - 20 / Double(max(1, count))))
    }

}

import Foundation

/// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, and labels with just enough
/// decimals to tell them apart.
public enum AxisTicks {
    /// A range that contains `lo...hi`, widened to whole steps, and the ticks in it (about
    /// `target` of them). An empty or degenerate range is widened around its value first.
    public static func niceRange(_ lo: Double, _ hi: Double, target: Int = 6) -> (range: ClosedRange<Double>, ticks: [Double], step: Double) {
        var (a, b) = (min(lo, hi), max(lo, hi))
        if !(a.isFinite && b.isFinite) { (a, b) = (0, 1) }
        if b - a < 1e-12 * max(1, abs(a)) {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = (a - pad, b + pad)
        }
        let step = niceStep((b - a) / Double(max(1, target - 1)), rounded: true)
        let start = (a / step).rounded(.down) * step
        let end = (b / step).rounded(.up) * step
        return (start...end, ticks(in: start...end, step: step), step)
    }

    /// Ticks at whole multiples of `step` inside `range` (a small tolerance for rounding).
    public static func ticks(in range: ClosedRange<Double>, step: Double) -> [Double] {
        guard step > 0, range.upperBound.isFinite, range.lowerBound.isFinite else { return [] }
        let first = (range.lowerBound / step - 1e-9).rounded(.up)
        let last = (range.upperBound / step + 1e-9).rounded(.down)
        guard last >= first, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// A nice step (1, 2 or 5 x 10^k): the smallest one at least `raw`, or with `rounded` the
    /// nearest one (Heckbert's "nice numbers", Graphics Gems 1990).
    public static func niceStep(_ raw: Double, rounded: Bool = false) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        let tolerance = 1e-9
        if rounded {
            let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
            return nice * power
        }
        let nice: Double = fraction <= 1 + tolerance ? 1 : fraction <= 2 + tolerance ? 2 : fraction <= 5 + tolerance ? 5 : 10
        return nice * power
    }

    /// A tick label with the decimals the step needs: step 0.2 -> "0.4", step 50 -> "150".
    public static func label(_ value: Double, step: Double) -> String {
        let decimals = step > 0 ? max(0, Int((-log10(step) - 1e-9).rounded(.up))) : 0
        let v = abs(value) < step * 1e-9 ? 0 : value  // no "-0.0"
        return String(format: "%.\(min(decimals, 6))f", v)
    }
}

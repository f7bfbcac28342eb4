/// Spearman's rank correlation, the measure of Adebayo et al. 2018's sanity checks: how much of
/// a map's ordering survives when the model's weights are randomised.
public enum RankCorrelation {
    /// Pearson correlation of the ranks of `a` and `b` (ties share their mean rank), in [-1, 1];
    /// 0 when either is constant (nothing to order).
    public static func spearman(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "RankCorrelation.spearman: \(a.count) against \(b.count) values")
        let ra = ranks(a), rb = ranks(b)
        let n = Double(a.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in ra.indices {
            sab += (ra[i] - ma) * (rb[i] - mb)
            saa += (ra[i] - ma) * (ra[i] - ma)
            sbb += (rb[i] - mb) * (rb[i] - mb)
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    /// 1-based ranks, ties given their mean rank.
    static func ranks(_ v: [Float]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var out = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for k in i...j { out[order[k]] = mean }
            i = j + 1
        }
        return out
    }
}

/// Receiver operating characteristic of a binary scorer: exact AUC and the curve.
///
/// Convention: a sample is predicted positive (FAKE, label 1) when `score >= threshold`.
/// Inputs are assumed validated (same length, finite scores, labels 0/1); `ClassificationReport`
/// checks them before calling in.
public enum ROC {
    /// Area under the ROC curve, exactly, ties included: the probability that a random positive
    /// scores above a random negative, with equal scores counting one half. This is the
    /// Mann-Whitney U statistic divided by P*N, and equals the trapezoidal area under the full
    /// (unthinned) curve. O(n log n) (one sort, then average ranks over runs of equal scores).
    ///
    /// - Returns: nil when only one class is present (the area is then undefined).
    public static func auc(scores: [Float], labels: [UInt8]) -> Double? {
        precondition(scores.count == labels.count, "ROC.auc: \(scores.count) scores, \(labels.count) labels")
        let positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Sum of the (1-based, tie-averaged) ranks of the positives, doubled to stay integral.
        var twiceRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, scores[order[end]] == scores[order[start]] { end += 1 }
            var positivesInRun = 0
            for k in start..<end where labels[order[k]] == 1 { positivesInRun += 1 }
            // Ranks start+1 ... end average to (start + 1 + end) / 2.
            twiceRankSum += Double(positivesInRun) * Double(start + 1 + end)
            start = end
        }
        let p = Double(positives), n = Double(negatives)
        let u = twiceRankSum / 2 - p * (p + 1) / 2
        return u / (p * n)
    }

    /// The full ROC curve: one point per distinct score, from (0, 0) to (1, 1), in order of
    /// decreasing threshold. `thresholds[0]` lies just above the highest score (the next
    /// representable Float), so that no sample is predicted positive there; sklearn uses +inf,
    /// which JSON cannot carry. With one class absent, the missing rate is 0 throughout.
    ///
    /// - Returns: `fpr`, `tpr`, `thresholds`, all the same length (distinct scores + 1).
    public static func curve(scores: [Float], labels: [UInt8]) -> (fpr: [Double], tpr: [Double], thresholds: [Double]) {
        precondition(scores.count == labels.count, "ROC.curve: \(scores.count) scores, \(labels.count) labels")
        let positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        let negatives = labels.count - positives
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let top = order.first.map { scores[$0] } ?? 1
        var fpr = [0.0], tpr = [0.0], thresholds = [Double(top.nextUp)]
        var tp = 0, fp = 0, start = 0
        while start < order.count {
            var end = start
            while end < order.count, scores[order[end]] == scores[order[start]] {
                if labels[order[end]] == 1 { tp += 1 } else { fp += 1 }
                end += 1
            }
            fpr.append(negatives > 0 ? Double(fp) / Double(negatives) : 0)
            tpr.append(positives > 0 ? Double(tp) / Double(positives) : 0)
            thresholds.append(Double(scores[order[start]]))
            start = end
        }
        return (fpr, tpr, thresholds)
    }

    /// Keeps at most `maxPoints` points of a monotone curve while keeping its exact endpoints
    /// and its shape:
    /// 1. drop interior points that lie on a straight line with both neighbours (as sklearn's
    ///    `drop_intermediate`; this loses nothing),
    /// 2. if still too many, place `maxPoints / 2 - 1` marks at equal steps of the curve's L1 arc
    ///    length (|dfpr| + |dtpr|, at most 2 in total) and keep both ends of each segment that
    ///    holds a mark. Between two kept points the curve is then either one straight segment
    ///    or shorter than one step, 2 / (maxPoints / 2) in L1; corners before and after long
    ///    straight runs are kept.
    /// Any subset of a monotone curve is monotone, so monotonicity is kept.
    ///
    /// - Returns: the indices (increasing) of the kept points.
    public static func thinnedIndices(fpr: [Double], tpr: [Double], maxPoints: Int = 256) -> [Int] {
        precondition(fpr.count == tpr.count && maxPoints >= 4)
        let n = fpr.count
        guard n > 2 else { return Array(0..<n) }
        var kept = [0]
        for i in 1..<(n - 1) {
            let a = kept[kept.count - 1]
            // Cross product of (a -> i) and (i -> i+1): zero when collinear.
            let cross = (fpr[i] - fpr[a]) * (tpr[i + 1] - tpr[i]) - (tpr[i] - tpr[a]) * (fpr[i + 1] - fpr[i])
            if abs(cross) > 1e-15 { kept.append(i) }
        }
        kept.append(n - 1)
        guard kept.count > maxPoints else { return kept }

        var length = [0.0]
        for k in 1..<kept.count {
            let (a, b) = (kept[k - 1], kept[k])
            length.append(length[k - 1] + abs(fpr[b] - fpr[a]) + abs(tpr[b] - tpr[a]))
        }
        let total = length[length.count - 1]
        let steps = maxPoints / 2
        var chosen = [0]  // positions in `kept`
        var k = 1
        for s in 1..<steps {
            let mark = total * Double(s) / Double(steps)
            while k < kept.count - 1, length[k] < mark { k += 1 }
            // The segment (k - 1, k) holds the mark: keep both of its ends.
            for position in [k - 1, k] where position > chosen[chosen.count - 1] { chosen.append(position) }
        }
        if chosen[chosen.count - 1] != kept.count - 1 { chosen.append(kept.count - 1) }
        return chosen.map { kept[$0] }
    }
}

/// Precision-recall curve and average precision of a binary scorer (FAKE = 1 is the positive
/// class; a sample is predicted positive when `score >= threshold`), as sklearn's
/// `precision_recall_curve` and `average_precision_score` define them.
public enum PrecisionRecall {
    /// One point per distinct score, in order of decreasing threshold (increasing recall),
    /// starting from the empty prediction (recall 0, precision 1, threshold just above the top
    /// score). With no positives recall is 0 throughout.
    ///
    /// - Returns: `precision`, `recall`, `thresholds`, all of length (distinct scores + 1).
    public static func curve(scores: [Float], labels: [UInt8]) -> (precision: [Double], recall: [Double], thresholds: [Double]) {
        precondition(scores.count == labels.count, "PrecisionRecall.curve: \(scores.count) scores, \(labels.count) labels")
        let positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let top = order.first.map { scores[$0] } ?? 1
        var precision = [1.0], recall = [0.0], thresholds = [Double(top.nextUp)]
        var tp = 0, predicted = 0, start = 0
        while start < order.count {
            var end = start
            while end < order.count, scores[order[end]] == scores[order[start]] {
                if labels[order[end]] == 1 { tp += 1 }
                predicted += 1
                end += 1
            }
            precision.append(Double(tp) / Double(predicted))
            recall.append(positives > 0 ? Double(tp) / Double(positives) : 0)
            thresholds.append(Double(scores[order[start]]))
            start = end
        }
        return (precision, recall, thresholds)
    }

    /// Average precision: the sum over thresholds of (R_n - R_{n-1}) * P_n, the step-wise area
    /// under the curve without interpolation (sklearn's `average_precision_score`). Ties count
    /// as one threshold. nil when there are no positives (recall is undefined).
    public static func averagePrecision(scores: [Float], labels: [UInt8]) -> Double? {
        guard labels.contains(1) else { return nil }
        let c = curve(scores: scores, labels: labels)
        var ap = 0.0
        for i in 1..<c.recall.count { ap += (c.recall[i] - c.recall[i - 1]) * c.precision[i] }
        return ap
    }
}

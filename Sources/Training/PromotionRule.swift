/// When a retrained candidate replaces the promoted model: both are scored on the same fixed
/// evaluation set, and the candidate is promoted only if it is at least as good by `metric`,
/// with `margin` to spare. Pure: no files, no clock.
///
/// For a higher-is-better metric (accuracy, F1, ROC AUC) the candidate is promoted when
/// `candidate >= promoted + margin`; for log loss (lower is better) when
/// `candidate <= promoted - margin`. A margin of 0 lets a tie promote (the newer data wins);
/// a positive margin asks for a real improvement; a negative one tolerates a small regression.
/// With no promoted model, any candidate that was evaluated is promoted.
public struct PromotionRule: Sendable, Equatable {
    public var metric: Metric
    public var margin: Double

    public init(metric: Metric, margin: Double) {
        self.metric = metric
        self.margin = margin
    }

    public struct Decision: Sendable, Equatable {
        public var promote: Bool
        /// The value the candidate had to reach (nil without a promoted model).
        public var threshold: Double?
        /// One sentence for the log and `evaluation.json`.
        public var reason: String
    }

    /// Decides on the candidate's and the promoted model's values of `metric` (nil: no promoted model).
    public func decide(candidate: Double, promoted: Double?) -> Decision {
        let name = metric.promotionName
        guard let promoted else {
            return Decision(promote: true, threshold: nil, reason: "no promoted model yet: the first evaluated candidate is promoted")
        }
        let threshold = metric.higherIsBetter ? promoted + margin : promoted - margin
        let promote = metric.higherIsBetter ? candidate >= threshold : candidate <= threshold
        let relation = metric.higherIsBetter ? (promote ? ">=" : "<") : (promote ? "<=" : ">")
        let sign = metric.higherIsBetter ? "+" : "-"
        return Decision(promote: promote, threshold: threshold,
                        reason: "candidate \(name) \(Self.format(candidate)) \(relation) promoted \(Self.format(promoted)) \(sign) margin \(Self.format(margin)) = \(Self.format(threshold))")
    }

    static func format(_ v: Double) -> String {
        let scaled = (v * 1e6).rounded() / 1e6
        return scaled.isFinite && abs(scaled) < 1e15 && scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
    }
}

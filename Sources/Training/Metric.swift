import Evaluation

/// How good a classifier is on a labelled set: what keeps the best checkpoint (`best_metric`, on
/// the validation split) and what promotes a retrained model (`promotion_metric`, on the
/// evaluation set). One type; each setting keeps the spelling its users know
/// (``validationName``, ``promotionName``).
public enum Metric: String, CaseIterable, Codable, Sendable {
    case accuracy, loss, f1, auc

    /// Log loss is the one that is better lower.
    public var higherIsBetter: Bool { self != .loss }

    /// Whether `candidate` strictly beats `incumbent` (nil: nothing yet).
    public func improves(_ candidate: Double, on incumbent: Double?) -> Bool {
        guard let incumbent else { return true }
        return higherIsBetter ? candidate > incumbent : candidate < incumbent
    }

    /// This metric of `report`; nil when it is undefined (the ROC AUC of a set that holds one
    /// class), which never counts as an improvement.
    public func value(of report: ClassificationReport) -> Double? {
        switch self {
        case .accuracy: report.accuracy
        case .loss: report.logLoss
        case .f1: report.f1
        case .auc: report.rocAUC
        }
    }

    /// Its name as `best_metric` and as the key of validation values in history and
    /// evaluations: `val_accuracy`, `val_loss`, `val_f1`, `val_auc`.
    public var validationName: String { "val_" + rawValue }

    public init?(validationName: String) {
        guard validationName.hasPrefix("val_"), let metric = Metric(rawValue: String(validationName.dropFirst(4))) else { return nil }
        self = metric
    }

    /// Its name as `promotion_metric`: `accuracy`, `f1`, `auc`, `log_loss`.
    public var promotionName: String { self == .loss ? "log_loss" : rawValue }

    public init?(promotionName: String) {
        guard let metric = Metric.allCases.first(where: { $0.promotionName == promotionName }) else { return nil }
        self = metric
    }

    /// `best_metric`'s values, in the order error messages list them.
    public static let validationNames = allCases.map(\.validationName)
    /// `promotion_metric`'s values, in the order error messages list them.
    public static let promotionNames = [Metric.accuracy, .f1, .auc, .loss].map(\.promotionName)
}

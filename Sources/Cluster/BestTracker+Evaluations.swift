import Foundation
import Training
import Wire

extension BestTracker {
    /// Records the metric's value in a line of evaluations.jsonl (a JSON object) for the
    /// checkpoint after `step` steps; as ``record(step:value:)``.
    mutating func record(step: Int, values: [String: Any]) -> Bool? {
        record(step: step, value: (values[metric.validationName] as? NSNumber)?.doubleValue)
    }
}

extension Metric {
    /// This metric among typed validation scores (nil: undefined).
    func value(_ scores: EvaluationResult.Scores) -> Double? {
        switch self {
        case .accuracy: scores.accuracy
        case .loss: scores.loss
        case .f1: scores.f1
        case .auc: scores.auc
        }
    }
}

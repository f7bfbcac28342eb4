import Foundation
import Training
import Wire

/// Which epoch's checkpoint is best by the configured validation metric (rank 0's validations at
/// epoch ends), and whether early stopping is due: after `patience` epochs in a row without
/// improvement (0: never), as in one process. Each step counts once.
struct BestTracker {
    let metric: BestMetric
    let patience: Int
    private(set) var bestValue: Double?
    private(set) var bestStep: Int?
    private(set) var evaluationsWithoutImprovement = 0
    /// Each evaluated step's value of the metric.
    private var values: [Int: Double] = [:]

    init(metric: BestMetric, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    /// Records the metrics of the checkpoint after `step` steps. Returns whether it is the new
    /// best, or nil when the step was already evaluated or lacks the metric.
    mutating func record(step: Int, values: [String: Any]) -> Bool? {
        record(step: step, value: (values[metric.rawValue] as? NSNumber)?.doubleValue)
    }

    /// Records the metric's value for the checkpoint after `step` steps (nil: undefined, e.g. an
    /// AUC on one class; the step then counts as evaluated without a value).
    mutating func record(step: Int, value: Double?) -> Bool? {
        guard self.values[step] == nil, let value else { return nil }
        self.values[step] = value
        if metric.improves(value, on: bestValue) {
            bestValue = value
            bestStep = step
            evaluationsWithoutImprovement = 0
            return true
        }
        evaluationsWithoutImprovement += 1
        return false
    }

    /// The checkpoint of `step` will never be written (rank 0 validated it at an epoch end, but
    /// its upload was lost with a worker or skipped for a newer one): it can no longer be the
    /// kept model, so the best is chosen again among the other evaluated steps (the earliest on
    /// ties, as when they arrived). Its evaluation still counts as done, and early stopping's
    /// count stands.
    mutating func forget(step: Int) {
        guard values[step] != nil else { return }
        values[step] = .nan
        bestValue = nil
        bestStep = nil
        for (s, value) in values.sorted(by: { $0.key < $1.key }) where !value.isNaN && metric.improves(value, on: bestValue) {
            bestValue = value
            bestStep = s
        }
    }

    var shouldStop: Bool { patience > 0 && evaluationsWithoutImprovement >= patience }

    var summary: String {
        guard let bestValue, let bestStep else { return "no evaluation yet" }
        return "\(metric.rawValue) \(String(format: "%.4f", bestValue)) at step \(bestStep)"
    }
}

extension BestMetric {
    /// This metric among typed validation scores (nil: undefined).
    func value(_ scores: EvaluationResult.Scores) -> Double? {
        switch self {
        case .valAccuracy: scores.accuracy
        case .valLoss: scores.loss
        case .valF1: scores.f1
        case .valAUC: scores.auc
        }
    }
}

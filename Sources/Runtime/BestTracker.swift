import Foundation
import Training

/// Which checkpoint is best by the configured validation metric, and whether early stopping is
/// due: after `patience` evaluations in a row without improvement (0: never). Each checkpoint
/// step counts once, whoever evaluated it first.
struct BestTracker {
    let metric: BestMetric
    let patience: Int
    private(set) var bestValue: Double?
    private(set) var bestStep: Int?
    private(set) var evaluationsWithoutImprovement = 0
    private var evaluated: Set<Int> = []

    init(metric: BestMetric, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    func hasEvaluation(of step: Int) -> Bool { evaluated.contains(step) }

    /// Records the metrics of the checkpoint after `step` steps. Returns whether it is the new
    /// best, or nil when the step was already evaluated or lacks the metric.
    mutating func record(step: Int, values: [String: Any]) -> Bool? {
        guard !evaluated.contains(step), let value = (values[metric.rawValue] as? NSNumber)?.doubleValue else { return nil }
        evaluated.insert(step)
        if metric.improves(value, on: bestValue) {
            bestValue = value
            bestStep = step
            evaluationsWithoutImprovement = 0
            return true
        }
        evaluationsWithoutImprovement += 1
        return false
    }

    var shouldStop: Bool { patience > 0 && evaluationsWithoutImprovement >= patience }

    var summary: String {
        guard let bestValue, let bestStep else { return "no evaluation yet" }
        return "\(metric.rawValue) \(String(format: "%.4f", bestValue)) at step \(bestStep)"
    }
}

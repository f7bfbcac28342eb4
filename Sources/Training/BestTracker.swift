import Foundation

/// Which validated checkpoint is the best by the configured metric, and whether early stopping is
/// due: after `patience` validations in a row without improvement (0: never). Both paths
/// validate once per epoch (the single process itself, a cluster's rank 0 at epoch ends), so the
/// count is of epochs in both. A validation whose metric is undefined (the AUC of a split that
/// holds one class) does not improve, and counts. Checkpoints are named by step (steps done).
public struct BestTracker: Codable, Sendable, Equatable {
    public let metric: Metric
    public let patience: Int
    public private(set) var bestValue: Double?
    public private(set) var bestStep: Int?
    public private(set) var epochsWithoutImprovement = 0
    /// Steps validated so far: each counts once.
    private var validated: Set<Int> = []
    /// The metric's value of each validated step that may still be kept (see `forget`).
    private var candidates: [Int: Double] = [:]

    public init(metric: Metric, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    /// A tracker that continues from a checkpoint's bookkeeping (without the steps it validated:
    /// a run resumed from it never validates them again).
    public init(metric: Metric, patience: Int, bestValue: Double?, bestStep: Int?, epochsWithoutImprovement: Int) {
        self.init(metric: metric, patience: patience)
        self.bestValue = bestValue
        self.bestStep = bestStep
        self.epochsWithoutImprovement = epochsWithoutImprovement
    }

    /// Records the metric's value for the checkpoint after `step` steps (nil: undefined). Returns
    /// whether it is the new best, or nil when the step was already validated.
    public mutating func record(step: Int, value: Double?) -> Bool? {
        guard validated.insert(step).inserted else { return nil }
        if let value {
            candidates[step] = value
            if metric.improves(value, on: bestValue) {
                bestValue = value
                bestStep = step
                epochsWithoutImprovement = 0
                return true
            }
        }
        epochsWithoutImprovement += 1
        return false
    }

    /// A run without validation keeps its newest epoch: the checkpoint after `step` becomes the
    /// best and early stopping's count starts again.
    public mutating func keepUnvalidated(step: Int) {
        validated.insert(step)
        bestStep = step
        epochsWithoutImprovement = 0
    }

    /// The checkpoint of `step` will never be written (a cluster's rank 0 validated it at an epoch
    /// end, but its upload was lost with a worker or skipped for a newer one): it can no longer be
    /// the kept model, so the best is chosen again among the other validated steps (the earliest
    /// on ties, as when they arrived). Its validation still counts as done, and early stopping's
    /// count stands. A best restored from a checkpoint (no candidate of this run) is forgotten too.
    public mutating func forget(step: Int) {
        guard candidates.removeValue(forKey: step) != nil || step == bestStep else { return }
        bestValue = nil
        bestStep = nil
        for (s, value) in candidates.sorted(by: { $0.key < $1.key }) where metric.improves(value, on: bestValue) {
            bestValue = value
            bestStep = s
        }
    }

    public var shouldStop: Bool { patience > 0 && epochsWithoutImprovement >= patience }

    public var summary: String {
        guard let bestValue, let bestStep else { return "no evaluation yet" }
        return "\(metric.validationName) \(String(format: "%.4f", bestValue)) at step \(bestStep)"
    }
}

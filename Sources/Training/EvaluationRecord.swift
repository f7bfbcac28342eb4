import Coordination
import Foundation

/// One line of a cluster run's `evaluations.jsonl`: an ``EvaluationResult`` with where it came
/// from (rank 0's validation at an epoch end, or the evaluator's scores of a checkpoint), how
/// far into the run its checkpoint lies, and, for rank 0's, whether it chose the kept model.
/// Scores keep their keys (`val_*`, `test_*`); an undefined AUC is absent, never 0.5.
public struct EvaluationRecord: Codable, Sendable, Equatable {
    public enum Source: String, Codable, Sendable {
        case rank0 = "rank 0"
        case evaluator
    }

    public var step: Int
    public var epoch: Int?
    public var source: Source?
    /// Steps done in epochs: `step / steps_per_epoch`.
    public var epochFraction: Double?
    /// Rank 0's only: this validation is the best so far.
    public var best: Bool?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var validationF1: Double?
    public var validationAUC: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var testF1: Double?
    public var testAUC: Double?

    enum CodingKeys: String, CodingKey {
        case step, epoch, source, best
        case epochFraction = "epoch_fraction"
        case validationLoss = "val_loss", validationAccuracy = "val_accuracy", validationF1 = "val_f1", validationAUC = "val_auc"
        case testLoss = "test_loss", testAccuracy = "test_accuracy", testF1 = "test_f1", testAUC = "test_auc"
    }

    public init(_ result: EvaluationResult, source: Source, stepsPerEpoch: Int, best: Bool? = nil) {
        step = result.step
        epoch = result.epoch
        self.source = source
        epochFraction = Double(result.step) / Double(stepsPerEpoch)
        self.best = best
        validationLoss = result.validation?.loss
        validationAccuracy = result.validation?.accuracy
        validationF1 = result.validation?.f1
        validationAUC = result.validation?.auc
        testLoss = result.test?.loss
        testAccuracy = result.test?.accuracy
        testF1 = result.test?.f1
        testAUC = result.test?.auc
    }

    /// The validation scores, when the record holds them.
    public var validation: EvaluationResult.Scores? {
        guard let validationLoss, let validationAccuracy, let validationF1 else { return nil }
        return EvaluationResult.Scores(loss: validationLoss, accuracy: validationAccuracy, f1: validationF1, auc: validationAUC)
    }

    /// The record as one line of JSON (keys sorted), without its newline.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The record of one line of `evaluations.jsonl`; nil when the line is not one.
    public init?(jsonLine line: Substring) {
        guard let record = try? JSONDecoder().decode(EvaluationRecord.self, from: Data(line.utf8)) else { return nil }
        self = record
    }
}

extension Metric {
    /// This metric among typed validation scores (nil: undefined).
    public func value(of scores: EvaluationResult.Scores) -> Double? {
        switch self {
        case .accuracy: scores.accuracy
        case .loss: scores.loss
        case .f1: scores.f1
        case .auc: scores.auc
        }
    }
}

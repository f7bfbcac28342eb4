import Evaluation
import Foundation
import Storage

/// One line of a run's `history.jsonl`.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Accuracy on the separate test set (`test_data`), logged as a monitor only.
    public var testAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    public var best: Bool

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double?, validationAccuracy: Double?,
                testAccuracy: Double?, learningRate: Double, seconds: Double, imagesPerSecond: Double, best: Bool) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss; self.validationAccuracy = validationAccuracy; self.testAccuracy = testAccuracy
        self.learningRate = learningRate; self.seconds = seconds; self.imagesPerSecond = imagesPerSecond; self.best = best
    }

    enum CodingKeys: String, CodingKey {
        case epoch
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case validationLoss = "val_loss"
        case validationAccuracy = "val_accuracy"
        case testAccuracy = "test_accuracy"
        case learningRate = "learning_rate"
        case seconds
        case imagesPerSecond = "images_per_second"
        case best
    }
}

extension EpochRecord {
    /// The records of a `history.jsonl` file; none if it does not exist. A line that does not
    /// parse (a crash can't leave one: the file is replaced atomically) is an error naming it.
    public static func readHistory(_ path: String) throws -> [EpochRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { (i, line) in
            do { return try decoder.decode(EpochRecord.self, from: Data(line.utf8)) } catch {
                throw ConfigError.unreadable(source: "\(path):\(i + 1)", detail: "not an epoch record: \(error)")
            }
        }
    }

    /// Writes `records` as a `history.jsonl` file (atomically replaced): one JSON object a line,
    /// keys sorted. The single process and the coordinator both write it here.
    public static func writeHistory(_ records: [EpochRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        try AtomicFile.write(text, to: path)
    }
}

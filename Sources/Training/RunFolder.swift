import Evaluation
import Foundation
import Storage

/// A finished run folder, read back: `metrics.json` (required), `history.jsonl`, `steps.jsonl`
/// and `config.yaml` (used when present). For reports and for comparing runs.
public struct RunFolder: Sendable {
    public var path: String
    /// The kept model on the test split.
    public var metrics: ClassificationReport
    /// Context that `metrics.json` carries beside the metrics.
    public var architecture: String?
    public var modelName: String?
    public var bestEpoch: Int?
    /// A cluster run's kept checkpoint: its step, and the steps of an epoch.
    public var keptStep: Int?
    public var stepsPerEpoch: Int?
    public var epochsRun: Int?
    public var data: String?
    public var testOrigin: String?
    public var workers: Int?
    /// The test split's content digest (`test_digest`), for runs that record it.
    public var testDigest: String?
    /// One record per epoch; empty when `history.jsonl` is absent.
    public var history: [EpochRecord]
    /// Per-step records; empty when `steps.jsonl` is absent (runs that predate it).
    public var steps: [StepRecord] = []
    /// nil when `config.yaml` is absent.
    public var config: TrainingConfig?

    public static let metricsFile = "metrics.json"
    public static let historyFile = "history.jsonl"
    public static let configFile = "config.yaml"
    public static let modelFile = "model.safetensors"

    /// The folder's name, e.g. "cnn2d-d32-20250101-120000".
    public var name: String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    /// A short name for the configuration: the architecture (or the model and width from
    /// `config.yaml`), e.g. "CNN2D D=32".
    public var configurationName: String {
        if let architecture { return architecture }
        if let config { return config.model == "cnn2d" ? "CNN2D D=\(config.dense)" : config.model }
        return modelName ?? name
    }

    /// Epochs trained: `epochs_run` from metrics.json, else the number of history records.
    public var epochs: Int? { epochsRun ?? (history.isEmpty ? nil : history.count) }

    /// The epoch whose model was kept: `best_epoch` from metrics.json; else, for a cluster run
    /// whose kept checkpoint lies inside an epoch, none (``keptCheckpoint`` names it); else the
    /// last history record marked best.
    public var keptEpoch: Int? {
        if let bestEpoch { return bestEpoch }
        if keptStep != nil { return nil }
        return history.last(where: \.best)?.epoch
    }

    /// A kept checkpoint inside an epoch, in words: "step 540 (epoch 10, step 27 of 57)".
    public var keptCheckpoint: String? {
        guard bestEpoch == nil, let keptStep else { return nil }
        guard let stepsPerEpoch, stepsPerEpoch > 0 else { return "step \(keptStep)" }
        return "step \(keptStep) (epoch \((keptStep - 1) / stepsPerEpoch + 1), step \((keptStep - 1) % stepsPerEpoch + 1) of \(stepsPerEpoch))"
    }

    /// Reads the folder. Throws `RunFolderError` naming the folder and the file at fault.
    public static func load(_ path: String) throws(RunFolderError) -> RunFolder {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .noFolder(path)
        }
        let metricsPath = "\(path)/\(metricsFile)"
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            throw .missingFile(folder: path, file: metricsFile, expected: "the test metrics a finished run writes; has this run finished?")
        }
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(metricsPath) } catch { throw .badFile(folder: path, file: metricsFile, detail: error.description) }
        let metrics: ClassificationReport
        do {
            metrics = try JSONDecoder().decode(ClassificationReport.self, from: Data(bytes))
        } catch {
            throw .badFile(folder: path, file: metricsFile, detail: "expected the JSON of a classification report, " + describe(error))
        }
        let extras = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        var run = RunFolder(path: path, metrics: metrics, architecture: extras["architecture"] as? String,
                            modelName: extras["model"] as? String, bestEpoch: extras["best_epoch"] as? Int,
                            keptStep: extras["kept_step"] as? Int, stepsPerEpoch: extras["steps_per_epoch"] as? Int,
                            epochsRun: extras["epochs_run"] as? Int, data: extras["data"] as? String,
                            testOrigin: extras["test_origin"] as? String, workers: extras["workers"] as? Int,
                            testDigest: extras[MetricsFile.testDigestKey] as? String, history: [], config: nil)
        run.steps = StepsFile.read("\(path)/\(StepsFile.fileName)")

        let historyPath = "\(path)/\(historyFile)"
        if FileManager.default.fileExists(atPath: historyPath) {
            let text: String
            do { text = String(decoding: try AtomicFile.read(historyPath), as: UTF8.self) } catch {
                throw .badFile(folder: path, file: historyFile, detail: error.description)
            }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    run.history.append(try JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)))
                } catch {
                    throw .badFile(folder: path, file: historyFile, detail: "line \(number + 1): expected one epoch record, " + describe(error))
                }
            }
        }
        let configPath = "\(path)/\(configFile)"
        if FileManager.default.fileExists(atPath: configPath) {
            do { run.config = try ConfigFile.load(configPath) } catch {
                throw .badFile(folder: path, file: configFile, detail: error.description)
            }
        }
        return run
    }

    /// A decoding error in words: which key, what was expected.
    static func describe(_ error: any Error) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : "'" + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "found no key '\(key.stringValue)' in \(at(context.codingPath))"
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            return "found a value of the wrong type at \(at(context.codingPath)) (expected \(type))"
        case DecodingError.dataCorrupted(let context):
            return "found data that is not valid JSON at \(at(context.codingPath))"
        default:
            return "found: \(error)"
        }
    }
}

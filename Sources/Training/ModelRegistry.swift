import Foundation
import Storage

/// The model registry folder that `cifake retrain` keeps:
///
///     REGISTRY/candidates/<name>/   one run folder per retraining run (config.yaml, history.jsonl,
///                                   model.safetensors, metrics.json, report/) and its
///                                   evaluation.json: both models on the fixed set, the decision
///     REGISTRY/promoted             the promoted candidate's name, one line, replaced atomically
///     REGISTRY/history.jsonl        one line per decision, oldest first: promoted, kept, failed,
///                                   interrupted
///     REGISTRY/lock                 flock-ed by the retraining run in progress; names its holder
///
/// `<name>` is the UTC start time and a sequence number, `20250105T030000Z-0007`, so names sort
/// in the order the runs started. The promoted model is
/// `REGISTRY/candidates/$(cat REGISTRY/promoted)/model.safetensors`.
public struct ModelRegistry: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public var candidatesFolder: String { "\(path)/candidates" }
    public var pointerFile: String { "\(path)/promoted" }
    public var historyFile: String { "\(path)/history.jsonl" }
    public var lockFile: String { "\(path)/lock" }
    public static let evaluationFile = "evaluation.json"

    public func candidateFolder(_ name: String) -> String { "\(candidatesFolder)/\(name)" }
    public func modelFile(_ name: String) -> String { "\(candidateFolder(name))/\(RunFolder.modelFile)" }
    public func evaluationFile(_ name: String) -> String { "\(candidateFolder(name))/\(Self.evaluationFile)" }

    /// Creates the registry's folders if they are missing.
    public func create() throws(StorageError) {
        try AtomicFile.makeFolder(candidatesFolder)
    }

    /// The candidates, oldest first.
    public func candidates() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: candidatesFolder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The promoted candidate's name; nil before the first promotion.
    /// - Throws: ``RegistryError/brokenPointer(_:)`` when the pointer names no candidate with a model.
    public func promoted() throws -> String? {
        guard FileManager.default.fileExists(atPath: pointerFile) else { return nil }
        let name = String(decoding: try AtomicFile.read(pointerFile), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: modelFile(name)) else {
            throw RegistryError.brokenPointer("\(pointerFile) names '\(name)', but \(modelFile(name)) does not exist; "
                                              + "write the name of a candidate folder that holds a model into it")
        }
        return name
    }

    /// Points `promoted` at `name`, atomically: readers see the old name or the new one, never
    /// a mix or nothing.
    public func promote(_ name: String) throws {
        try AtomicFile.write(name + "\n", to: pointerFile)
    }

    /// A new candidate's name: the UTC time and one more than the number of candidates.
    public func newCandidateName(now: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var sequence = candidates().count + 1
        while true {
            let name = "\(f.string(from: now))-\(String(format: "%04d", sequence))"
            if !FileManager.default.fileExists(atPath: candidateFolder(name)) { return name }
            sequence += 1
        }
    }

    /// Appends one decision to `history.jsonl` (the file is rewritten atomically: a crash leaves
    /// the old history or the new one).
    public func appendHistory(_ record: RetrainingRecord) throws {
        let old = FileManager.default.fileExists(atPath: historyFile) ? try AtomicFile.read(historyFile) : []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(old + Array(try encoder.encode(record)) + [10], to: historyFile)
    }

    /// Every decision recorded, oldest first.
    public func history() throws -> [RetrainingRecord] {
        guard FileManager.default.fileExists(atPath: historyFile) else { return [] }
        let text = String(decoding: try AtomicFile.read(historyFile), as: UTF8.self)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(RetrainingRecord.self, from: Data($0.utf8)) }
    }

    /// Writes a candidate's `evaluation.json`: the record and, when they exist, both models'
    /// full metrics on the evaluation set.
    public func writeEvaluation(_ record: RetrainingRecord, candidateMetrics: Data?, promotedMetrics: Data?) throws {
        let encoder = JSONEncoder()
        var object = try JSONSerialization.jsonObject(with: encoder.encode(record)) as? [String: Any] ?? [:]
        object["candidate_metrics"] = try candidateMetrics.map { try JSONSerialization.jsonObject(with: $0) } ?? NSNull()
        object["promoted_metrics"] = try promotedMetrics.map { try JSONSerialization.jsonObject(with: $0) } ?? NSNull()
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(Array(bytes) + [10], to: evaluationFile(record.candidate))
    }
}

/// One retraining run's outcome: a line of `history.jsonl` and the head of the candidate's
/// `evaluation.json`.
public struct RetrainingRecord: Codable, Sendable, Equatable {
    public enum Decision: String, Codable, Sendable {
        /// The candidate became the promoted model.
        case promoted
        /// The candidate was evaluated and not good enough: the promoted model stays.
        case kept
        /// The run stopped with an error (named in `reason`); the promoted model stays.
        case failed
        /// The run's process ended before a decision (a crash or a kill), noticed by a later run.
        case interrupted
    }

    public var candidate: String
    public var decision: Decision
    public var reason: String
    public var metric: String
    public var margin: Double
    public var candidateValue: Double?
    public var promotedValue: Double?
    /// The name `promoted` held when the run started, and holds after it.
    public var promotedBefore: String?
    public var promotedAfter: String?
    /// The model whose weights the candidate started from (nil: trained from scratch).
    public var warmStartFrom: String?
    /// Training images (validation hold-out included) and evaluation images.
    public var trainImages: Int?
    public var evaluationImages: Int?
    public var evaluationData: String?
    /// Content hash of the evaluation images, hex: equal digests, equal sets.
    public var evaluationDigest: String?
    /// ISO 8601, UTC.
    public var started: String
    public var finished: String

    enum CodingKeys: String, CodingKey {
        case candidate, decision, reason, metric, margin
        case candidateValue = "candidate_value"
        case promotedValue = "promoted_value"
        case promotedBefore = "promoted_before"
        case promotedAfter = "promoted_after"
        case warmStartFrom = "warm_start_from"
        case trainImages = "train_images"
        case evaluationImages = "evaluation_images"
        case evaluationData = "evaluation_data"
        case evaluationDigest = "evaluation_digest"
        case started, finished
    }

    public init(candidate: String, decision: Decision, reason: String, metric: String, margin: Double, started: String, finished: String) {
        self.candidate = candidate
        self.decision = decision
        self.reason = reason
        self.metric = metric
        self.margin = margin
        self.started = started
        self.finished = finished
    }
}

public enum RegistryError: Error, CustomStringConvertible {
    case brokenPointer(String)

    public var description: String {
        switch self {
        case .brokenPointer(let text): text
        }
    }
}

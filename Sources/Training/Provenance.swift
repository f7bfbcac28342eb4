#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Status
import Storage

/// Where a run came from: `provenance.json` in its run folder (written atomically when the data
/// is loaded, and again with the end time when the run ends) and, as one JSON string under the
/// key `provenance`, in the model file's safetensors metadata. Readers that predate it ignore
/// both (the metadata is string to string, as before).
public struct Provenance: Codable, Sendable, Equatable {
    /// e.g. `cifake 0.2.0 (wire 4)`.
    public var program: String
    /// The git commit the program was built from, or `unknown`.
    public var revision: String
    public var swift: String
    public var host: String
    /// The process's arguments, the program's path first.
    public var commandLine: [String]
    /// UTC, ISO 8601 with milliseconds.
    public var startedAt: String
    /// nil while the run goes on.
    public var endedAt: String?
    /// How the run ended: `finished`, `stopped` (a signal; resumable) or `failed`; nil while it runs.
    public var outcome: String?
    /// The data set's content digest (hex XXH64 of both splits), as clusters check it.
    public var dataDigest: String
    /// The data as given (folder or packed file).
    public var data: String
    /// The configuration as run (`config.yaml`).
    public var configuration: String

    enum CodingKeys: String, CodingKey {
        case program, revision, swift, host, data, configuration, outcome
        case commandLine = "command_line", startedAt = "started_at", endedAt = "ended_at", dataDigest = "data_digest"
    }

    public static let fileName = "provenance.json"
    /// The model file's metadata key.
    public static let metadataKey = "provenance"

    /// This process's, starting now.
    public init(dataDigest: String, data: String, configuration: String, started: Date = Date(),
                program: ProgramIdentity = .current, commandLine: [String] = CommandLine.arguments) {
        self.program = program.version
        self.revision = program.revision
        self.swift = program.swift
        self.host = Self.hostName()
        self.commandLine = commandLine
        self.startedAt = Self.timestamp(started)
        self.dataDigest = dataDigest
        self.data = data
        self.configuration = configuration
    }

    /// Writes `provenance.json` into `folder`, atomically.
    public func write(folder: String) throws {
        try AtomicFile.write(json + "\n", to: "\(folder)/\(Self.fileName)")
    }

    /// The same record, ended now with `outcome`.
    public func ended(_ outcome: String, at time: Date = Date()) -> Provenance {
        var copy = self
        copy.endedAt = Self.timestamp(time)
        copy.outcome = outcome
        return copy
    }

    /// Sorted keys, pretty-printed.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// One line, for the model file's metadata.
    public var compactJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown" }
        return String(cString: name)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Status
import Storage

/// Where a run came from: `provenance.json` in its run folder and, as one JSON string under the
/// key `provenance`, in the model file's safetensors metadata. Readers that predate it ignore
/// both (the metadata is string to string, as before).
///
/// A run may take several starts (stopped by a signal and resumed, restarted after a crash, a
/// requeued Slurm job): `sessions` records each, oldest first, appended atomically when it
/// starts (``begin(folder:dataDigest:data:configuration:started:program:commandLine:)``) and
/// completed when it ends (``ended(_:at:)``); at most ``sessionLimit`` are kept, and
/// `sessions_dropped` counts the oldest let go. The top-level fields summarise the run as the
/// single record of earlier versions did (which is still read: it becomes the first session):
/// `started_at` is the run's first start, `ended_at` and `outcome` its latest end, the program,
/// host and command line the latest start's. The model file carries the summary alone.
public struct Provenance: Codable, Sendable, Equatable {
    /// e.g. `cifake 0.2.0 (wire 4)`.
    public var program: String
    /// The git commit the program was built from, or `unknown`.
    public var revision: String
    public var swift: String
    public var host: String
    /// The process's arguments, the program's path first.
    public var commandLine: [String]
    /// UTC, ISO 8601 with milliseconds: the run's first start.
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
    /// Every start of the run, oldest first; nil in the summary (the model file's metadata).
    public var sessions: [Session]?
    /// Starts no longer in `sessions` (the oldest, beyond ``sessionLimit``).
    public var sessionsDropped: Int?

    /// One start of the run: one process, from its start to its end.
    public struct Session: Codable, Sendable, Equatable {
        public var program: String
        public var revision: String
        public var swift: String
        public var host: String
        public var processID: Int32?
        public var commandLine: [String]
        public var startedAt: String
        /// nil while it runs, or if the process died without a word (SIGKILL, a lost node).
        public var endedAt: String?
        /// `finished`, `stopped` or `failed`; nil as `endedAt`.
        public var outcome: String?

        enum CodingKeys: String, CodingKey {
            case program, revision, swift, host, outcome
            case processID = "pid", commandLine = "command_line", startedAt = "started_at", endedAt = "ended_at"
        }
    }

    enum CodingKeys: String, CodingKey {
        case program, revision, swift, host, data, configuration, outcome, sessions
        case commandLine = "command_line", startedAt = "started_at", endedAt = "ended_at", dataDigest = "data_digest"
        case sessionsDropped = "sessions_dropped"
    }

    public static let fileName = "provenance.json"
    /// The model file's metadata key.
    public static let metadataKey = "provenance"
    /// Most sessions kept in `provenance.json`.
    public static let sessionLimit = 100

    /// This process's, starting now: a run of one session.
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
        self.sessions = [Session(program: program.version, revision: program.revision, swift: program.swift, host: host,
                                 processID: getpid(), commandLine: commandLine, startedAt: startedAt)]
        self.sessionsDropped = 0
    }

    /// This start appended to what `folder`'s `provenance.json` holds (none, an unreadable one or
    /// one of another version: a run of one session), written atomically.
    public static func begin(folder: String, dataDigest: String, data: String, configuration: String, started: Date = Date(),
                             program: ProgramIdentity = .current, commandLine: [String] = CommandLine.arguments) throws -> Provenance {
        let this = Provenance(dataDigest: dataDigest, data: data, configuration: configuration, started: started,
                              program: program, commandLine: commandLine)
        let earlier = (try? AtomicFile.read("\(folder)/\(fileName)", maximumBytes: 16 << 20)).flatMap { try? read(Data($0)) }
        let record = earlier.map { this.continuing($0) } ?? this
        try record.write(folder: folder)
        return record
    }

    /// A record as written by this version or by an earlier one (a single record, no sessions).
    public static func read(_ json: Data) throws -> Provenance {
        var record = try JSONDecoder().decode(Provenance.self, from: json)
        if record.sessions == nil {
            record.sessions = [Session(program: record.program, revision: record.revision, swift: record.swift, host: record.host,
                                       processID: nil, commandLine: record.commandLine, startedAt: record.startedAt,
                                       endedAt: record.endedAt, outcome: record.outcome)]
        }
        record.sessionsDropped = record.sessionsDropped ?? 0
        return record
    }

    /// This one-session record as the next start of `earlier`'s run.
    func continuing(_ earlier: Provenance) -> Provenance {
        var record = self
        record.startedAt = earlier.startedAt
        var sessions = (earlier.sessions ?? []) + (self.sessions ?? [])
        let excess = max(0, sessions.count - Self.sessionLimit)
        sessions.removeFirst(excess)
        record.sessions = sessions
        record.sessionsDropped = (earlier.sessionsDropped ?? 0) + excess
        return record
    }

    /// Writes `provenance.json` into `folder`, atomically.
    public func write(folder: String) throws {
        try AtomicFile.write(json + "\n", to: "\(folder)/\(Self.fileName)")
    }

    /// The same record, its latest session ended now with `outcome`.
    public func ended(_ outcome: String, at time: Date = Date()) -> Provenance {
        var copy = self
        copy.endedAt = Self.timestamp(time)
        copy.outcome = outcome
        if var sessions = copy.sessions, !sessions.isEmpty {
            sessions[sessions.count - 1].endedAt = copy.endedAt
            sessions[sessions.count - 1].outcome = outcome
            copy.sessions = sessions
        }
        return copy
    }

    /// The record without its sessions: the run's first start and latest end, for model files.
    public var summary: Provenance {
        var copy = self
        copy.sessions = nil
        copy.sessionsDropped = nil
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

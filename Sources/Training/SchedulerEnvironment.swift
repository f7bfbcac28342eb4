import Coordination
import Foundation

/// What a job scheduler (or an operator) tells a process through its environment: where the
/// coordinator is, how many workers the run has, and which rank this process should take.
///
/// Rank, first found wins: `CIFAKE_RANK` (set by hand or by a systemd instance), `SLURM_PROCID`
/// (`srun`, one task per worker), `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job). The rank
/// is a preference sent with the join: the coordinator grants it when that rank is free in the
/// ring it forms, and otherwise gives another.
public struct SchedulerEnvironment: Sendable, Equatable {
    /// `HOST:PORT` from `CIFAKE_COORDINATOR`.
    public var coordinator: String?
    /// Workers of the run: `CIFAKE_WORKERS`, else Slurm's task count `SLURM_NTASKS`.
    public var workers: Int?
    /// The variable `workers` came from.
    public var workersSource: String?
    /// The rank this process asks for.
    public var rank: Int?
    /// The variable `rank` came from, e.g. `SLURM_PROCID`.
    public var rankSource: String?

    public static let rankVariables = ["CIFAKE_RANK", "SLURM_PROCID", "JOB_COMPLETION_INDEX"]
    public static let workerVariables = ["CIFAKE_WORKERS", "SLURM_NTASKS"]

    public init(coordinator: String? = nil, workers: Int? = nil, workersSource: String? = nil,
                rank: Int? = nil, rankSource: String? = nil) {
        self.coordinator = coordinator
        self.workers = workers
        self.workersSource = workersSource
        self.rank = rank
        self.rankSource = rankSource
    }

    /// Reads the variables; empty values count as unset.
    ///
    /// - Throws: ``ConfigError/invalid(source:problems:)`` naming every variable that is not a
    ///   count (workers >= 1, rank >= 0), or a rank not below the worker count.
    public init(_ environment: [String: String]) throws(ConfigError) {
        var problems: [String] = []
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        }
        if let c = value("CIFAKE_COORDINATOR") {
            if c.split(separator: ":").count < 2 || Int(c.split(separator: ":").last!) == nil {
                problems.append("CIFAKE_COORDINATOR: found '\(c)', expected HOST:PORT")
            }
            coordinator = c
        }
        for name in Self.workerVariables {
            guard let text = value(name) else { continue }
            guard let n = Int(text), (1...CoordinatorConfiguration.maximumWorkers).contains(n) else {
                problems.append("\(name): found '\(text)', expected a worker count in 1...\(CoordinatorConfiguration.maximumWorkers)")
                continue
            }
            if workers == nil { (workers, workersSource) = (n, name) }
        }
        for name in Self.rankVariables {
            guard let text = value(name) else { continue }
            guard let r = Int(text), (0..<CoordinatorConfiguration.maximumWorkers).contains(r) else {
                problems.append("\(name): found '\(text)', expected a rank, an integer in 0...\(CoordinatorConfiguration.maximumWorkers - 1)")
                continue
            }
            if rank == nil { (rank, rankSource) = (r, name) }
        }
        if let rank, let rankSource, let workers, let workersSource, rank >= workers {
            problems.append("\(rankSource): found \(rank), expected a rank below \(workersSource) (\(workers))")
        }
        guard problems.isEmpty else { throw .invalid(source: "environment", problems: problems) }
    }
}

/// What `cifake train --workers N` does when one of its children exits, as a pure machine (no
/// processes, no clock): the one-machine launcher's counterpart of torchrun's elastic agent.
///
/// - A worker that fails (non-zero status or a signal) while the coordinator runs is restarted
///   under its stable name, so it rejoins as a newer incarnation and receives the state, as long
///   as restarts are left. `maxRestarts` is one budget for all workers together, as torchrun's
///   `--max-restarts` is one budget per launcher: it bounds the work lost to a fault that keeps
///   killing workers, whichever worker it hits.
/// - Beyond the budget the worker stays down; the run goes on with the others for as long as the
///   coordinator allows (it re-forms the ring with at least `minWorkers`, or waits for a join and
///   then fails). The launcher never fails the run itself: its exit status is the coordinator's.
/// - The evaluator never decides whether the run goes on, so it has a budget of its own (also
///   `maxRestarts`) and never uses the workers'.
/// - A child that exits with status 0, or any child once the coordinator has stopped, is not
///   restarted: the run is ending.
public struct LaunchSupervisor: Sendable, Equatable {
    /// A child of the launcher, by its stable index (never by its rank, which the coordinator
    /// assigns and may change at every generation).
    public enum Child: Hashable, Sendable, CustomStringConvertible {
        case worker(Int)
        case evaluator

        public var description: String {
            switch self {
            case .worker(let i): "worker \(i)"
            case .evaluator: "evaluator"
            }
        }
    }

    /// How a child ended.
    public enum Exit: Equatable, Sendable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)

        public var failed: Bool { self != .status(0) }

        public var description: String {
            switch self {
            case .status(let s): "exited with status \(s)"
            case .signal(let s): "was killed by signal \(s)" + (Self.signalNames[s].map { " (\($0))" } ?? "")
            }
        }

        /// The signals a child is usually ended by, as Linux numbers them.
        static let signalNames: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
                                                   8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"]
    }

    public enum Directive: Equatable, Sendable {
        /// Start `child` again with the same name and arguments.
        case restart(Child)
        case log(String)
    }

    public let workers: Int
    public let minWorkers: Int
    public let maxRestarts: Int
    public private(set) var workerRestartsUsed = 0
    public private(set) var evaluatorRestartsUsed = 0
    /// Workers started and not yet seen to exit.
    public private(set) var runningWorkers: Set<Int>

    /// `workers` children `worker(0)...worker(workers - 1)`, all started.
    public init(workers: Int, minWorkers: Int, maxRestarts: Int) {
        self.workers = workers
        self.minWorkers = minWorkers
        self.maxRestarts = maxRestarts
        runningWorkers = Set(0..<workers)
    }

    public var workerRestartsLeft: Int { max(0, maxRestarts - workerRestartsUsed) }

    /// `child` ended with `exit`; `coordinatorRunning` says whether the run is still on.
    public mutating func onExit(_ child: Child, _ exit: Exit, coordinatorRunning: Bool) -> [Directive] {
        if case .worker(let i) = child { runningWorkers.remove(i) }
        guard exit.failed, coordinatorRunning else { return [] }
        switch child {
        case .worker(let i):
            if workerRestartsUsed < maxRestarts {
                workerRestartsUsed += 1
                runningWorkers.insert(i)
                return [.log("\(child) \(exit): restarting it to rejoin as a new incarnation "
                             + "(\(workerRestartsLeft) of --max-restarts \(maxRestarts) left, for all workers)"),
                        .restart(child)]
            }
            let left = runningWorkers.count
            let outlook = left >= minWorkers
                ? "the run goes on with \(left) worker(s) (--min-workers \(minWorkers))"
                : "\(left) worker(s) left, fewer than --min-workers \(minWorkers): the coordinator waits for a worker to join, then fails the run"
            return [.log("\(child) \(exit) and no restarts are left (--max-restarts \(maxRestarts) used): \(outlook)")]
        case .evaluator:
            if evaluatorRestartsUsed < maxRestarts {
                evaluatorRestartsUsed += 1
                return [.log("\(child) \(exit): restarting it (\(maxRestarts - evaluatorRestartsUsed) of its \(maxRestarts) restarts left)"),
                        .restart(child)]
            }
            return [.log("\(child) \(exit) and its \(maxRestarts) restarts are used: the run goes on without it")]
        }
    }
}

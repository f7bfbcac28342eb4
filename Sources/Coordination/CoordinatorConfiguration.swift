/// The coordinator's fixed settings for one run. Times are in seconds.
public struct CoordinatorConfiguration: Sendable, Equatable {
    /// What every joining process must match.
    public var expected: ClusterIdentity
    /// Training starts (and continues) only with at least this many workers.
    public var minWorkers: Int
    /// Joins beyond this many workers are refused.
    public var maxWorkers: Int
    /// A process not heard from for longer than this is declared dead.
    public var heartbeatTimeout: Double
    /// A member that has not answered its assignment (`ready`) for this long is declared dead.
    public var readyTimeout: Double
    /// When no step completed for this long, ranks that have not reported the next step while
    /// others have are declared dead; when no rank reported it, a stall warning is logged
    /// (nil: never).
    public var stepTimeout: Double?
    /// Before training first starts: stop when fewer than `minWorkers` joined for this long (nil: wait forever).
    public var startupTimeout: Double?
    /// After training started: stop when below `minWorkers` for this long (nil: wait forever).
    public var belowMinimumTimeout: Double?
    /// Stop with `.finished` once this many steps completed (nil: run until told).
    public var totalSteps: Int?
    /// With CURVE: the one role each authorised key may take; a key not listed may take either
    /// (an `authorized_keys` line without a role). Empty on plain TCP, where joins carry no key.
    public var keyRoles: [String: JoinRequest.Role]
    /// Evaluators admitted at once; a further one is refused (a newer incarnation of an admitted
    /// evaluator replaces it).
    public var maxEvaluators: Int
    /// Joins one key (on plain TCP: one connection) may send per `joinWindow` seconds before
    /// the rest of the window's are refused unanswered: a flood costs neither log nor work.
    public var joinsPerWindow: Int
    public var joinWindow: Double

    /// Most workers a cluster admits (the wire's largest ring).
    public static let maximumWorkers = 1024
    /// Longest heartbeat timeout and wait accepted, in seconds: a day.
    public static let maximumSeconds = 86_400.0

    /// What is wrong with an operator's cluster settings, each naming its flag: the checks
    /// `init` relies on, for a command to report instead of trapping.
    public static func problems(minWorkers: Int, maxWorkers: Int, heartbeatTimeout: Double, waitTimeout: Double) -> [String] {
        var p: [String] = []
        if !(1...maximumWorkers).contains(minWorkers) { p.append("--min-workers: found \(minWorkers), expected 1...\(maximumWorkers)") }
        if (1...maximumWorkers).contains(minWorkers) && !(minWorkers...maximumWorkers).contains(maxWorkers) {
            p.append("--max-workers: found \(maxWorkers), expected \(minWorkers) (--min-workers)...\(maximumWorkers)")
        }
        if !(heartbeatTimeout > 0 && heartbeatTimeout <= maximumSeconds) {
            p.append("--heartbeat-timeout: found \(heartbeatTimeout), expected seconds in (0, \(Int(maximumSeconds))] (workers send a heartbeat every second)")
        }
        if !(waitTimeout >= 0 && waitTimeout <= maximumSeconds) {
            p.append("--wait-timeout: found \(waitTimeout), expected seconds in 0...\(Int(maximumSeconds))")
        }
        return p
    }

    public init(expected: ClusterIdentity, minWorkers: Int, maxWorkers: Int,
                heartbeatTimeout: Double = 10,
                startupTimeout: Double? = nil, belowMinimumTimeout: Double? = 300,
                totalSteps: Int? = nil, readyTimeout: Double = 60, stepTimeout: Double? = 120,
                keyRoles: [String: JoinRequest.Role] = [:], maxEvaluators: Int = 1, joinsPerWindow: Int? = nil, joinWindow: Double = 10) {
        precondition(minWorkers >= 1 && maxWorkers >= minWorkers, "need 1 <= minWorkers <= maxWorkers")
        precondition(heartbeatTimeout > 0 && maxEvaluators >= 0 && joinWindow > 0)
        self.expected = expected
        self.minWorkers = minWorkers
        self.maxWorkers = maxWorkers
        self.heartbeatTimeout = heartbeatTimeout
        self.startupTimeout = startupTimeout
        self.belowMinimumTimeout = belowMinimumTimeout
        self.totalSteps = totalSteps
        self.readyTimeout = readyTimeout
        self.stepTimeout = stepTimeout
        self.keyRoles = keyRoles
        self.maxEvaluators = maxEvaluators
        // A join is resent every few seconds until answered, and every worker of a shared key
        // may join at once: four attempts per admissible process and window is never reached
        // by an honest cluster.
        self.joinsPerWindow = joinsPerWindow ?? 4 * (maxWorkers + maxEvaluators)
        self.joinWindow = joinWindow
    }
}

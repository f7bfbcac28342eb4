@testable import Coordination

let identity = ClusterIdentity(version: "1.4.0", configDigest: "abc123", architectureDigest: "cnn2d-d64",
                               parameterCount: 93_057, dataDigest: "data77")

func peer(_ n: Int) -> PeerID { PeerID("peer-\(n)") }

func joinRequest(_ n: Int, role: JoinRequest.Role = .worker, incarnation: UInt64 = 1, key: String = "") -> JoinRequest {
    JoinRequest(role: role, version: identity.version, configDigest: identity.configDigest,
                architectureDigest: identity.architectureDigest, parameterCount: identity.parameterCount,
                dataDigest: identity.dataDigest, host: "host-\(n)",
                ringEndpoint: role == .worker ? "tcp://10.0.0.\(n):5600" : "",
                computeThreads: 2, nodeID: "node-\(n)", incarnation: incarnation, publicKey: key)
}

func report(_ generation: UInt64, step: Int, loss: Double = 0.5, accuracy: Double = 0.75, samples: Int = 32,
            compute: Double = 0.1, wait: Double = 0.02, checksum: UInt64? = nil) -> StepReport {
    StepReport(generation: generation, step: step, epoch: 0, loss: loss, accuracy: accuracy, samples: samples,
               computeSeconds: compute, allReduceWaitSeconds: wait, weightChecksum: checksum)
}

/// Drives a ``CoordinatorState`` with a fake clock and records every directive.
struct Harness {
    var state: CoordinatorState
    var now = 0.0
    var all: [CoordinatorDirective] = []

    init(min: Int = 2, max: Int = 4, heartbeatTimeout: Double = 10,
         startupTimeout: Double? = nil, belowMinimumTimeout: Double? = 60, totalSteps: Int? = nil,
         keyRoles: [String: JoinRequest.Role] = [:], maxEvaluators: Int = 1) {
        state = CoordinatorState(configuration: CoordinatorConfiguration(
            expected: identity, minWorkers: min, maxWorkers: max, heartbeatTimeout: heartbeatTimeout,
            startupTimeout: startupTimeout,
            belowMinimumTimeout: belowMinimumTimeout, totalSteps: totalSteps, keyRoles: keyRoles, maxEvaluators: maxEvaluators), now: 0)
    }

    @discardableResult mutating func record(_ d: [CoordinatorDirective]) -> [CoordinatorDirective] {
        all += d
        return d
    }

    @discardableResult mutating func join(_ n: Int, role: JoinRequest.Role = .worker, incarnation: UInt64 = 1,
                                          key: String = "", as p: PeerID? = nil) -> [CoordinatorDirective] {
        record(state.onJoin(peer: p ?? peer(n), request: joinRequest(n, role: role, incarnation: incarnation, key: key), now: now))
    }
    @discardableResult mutating func ready(_ n: Int, completed: Int, generation: UInt64? = nil, as p: PeerID? = nil) -> [CoordinatorDirective] {
        record(state.onReady(peer: p ?? peer(n), generation: generation ?? state.generation, completedSteps: completed, now: now))
    }
    @discardableResult mutating func report(_ n: Int, _ r: StepReport, as p: PeerID? = nil) -> [CoordinatorDirective] {
        record(state.onStepReport(peer: p ?? peer(n), report: r, now: now))
    }
    @discardableResult mutating func heartbeat(_ n: Int, as p: PeerID? = nil) -> [CoordinatorDirective] {
        record(state.onHeartbeat(peer: p ?? peer(n), now: now))
    }
    @discardableResult mutating func leave(_ n: Int) -> [CoordinatorDirective] {
        record(state.onLeave(peer: peer(n), now: now))
    }
    @discardableResult mutating func tick() -> [CoordinatorDirective] {
        record(state.onTick(now: now))
    }

    /// Every member answers its assignment with `completed` steps; returns the start directive's payload.
    mutating func allReady(completed: Int) -> StartTraining? {
        var start: StartTraining?
        for p in state.memberPeers {
            for d in record(state.onReady(peer: p, generation: state.generation, completedSteps: completed, now: now)) {
                if case .startTraining(let s, _) = d { start = s }
            }
        }
        return start
    }

    /// Every member reports `step` in the current generation.
    @discardableResult mutating func allReport(step: Int, checksum: UInt64? = nil) -> [CoordinatorDirective] {
        var out: [CoordinatorDirective] = []
        let g = state.generation
        for p in state.memberPeers {
            out += record(state.onStepReport(peer: p, report: CoordinationTests.report(g, step: step, checksum: checksum), now: now))
        }
        return out
    }
}

func assignments(_ d: [CoordinatorDirective]) -> [PeerID: Assignment] {
    var out: [PeerID: Assignment] = [:]
    for case .assign(let p, let a) in d { out[p] = a }
    return out
}

func refusals(_ d: [CoordinatorDirective]) -> [JoinRefusal] {
    d.compactMap { if case .refuse(_, let r) = $0 { r } else { nil } }
}

func stops(_ d: [CoordinatorDirective]) -> [StopReason] {
    d.compactMap { if case .stop(let r, _) = $0 { r } else { nil } }
}

func deaths(_ d: [CoordinatorDirective]) -> [(rank: Int, nodeID: String, reason: DeathReason)] {
    d.compactMap { if case .memberDead(let rank, let nodeID, _, _, let reason) = $0 { (rank, nodeID, reason) } else { nil } }
}

func summaries(_ d: [CoordinatorDirective]) -> [StepSummary] {
    d.compactMap { if case .progress(let s) = $0 { s } else { nil } }
}

/// The text of every log directive.
func logLines(_ d: [CoordinatorDirective]) -> [String] {
    d.compactMap { if case .log(_, let text) = $0 { text } else { nil } }
}

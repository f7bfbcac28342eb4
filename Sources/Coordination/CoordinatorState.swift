/// The coordinator's protocol as a value type: rendezvous, membership, generations, heartbeats,
/// step aggregation and weight-checksum agreement.
///
/// It does no I/O and reads no clock: each event carries `now` (seconds on a monotonic clock)
/// and returns the directives the shell must carry out, in order. Tests therefore drive hours
/// of protocol in microseconds.
///
/// Life of a generation: when enough workers joined (or membership changed), the generation
/// number grows and every member gets an ``Assignment`` (rank = its requested rank when free,
/// else join order; ring = rank order).
/// Each member answers `ready` with the number of steps it has completed; once all answered,
/// ``StartTraining`` names the first step and which ranks must copy state from which rank.
/// Workers then report every step; once all ranks reported a step the coordinator emits
/// `.progress`, compares weight checksums, and - at that step boundary - admits waiting joiners
/// by forming the next generation.
public struct CoordinatorState: Sendable {
    public enum Phase: Sendable, Equatable {
        /// Fewer than `minWorkers` members since `since` (before the first start, or after losses).
        case waiting(since: Double)
        /// Assignments sent for `generation`; waiting for every member's `ready`.
        case forming(generation: UInt64)
        /// `generation` is training.
        case training(generation: UInt64)
        /// The run is over; every event is ignored.
        case stopped
    }

    struct Member: Sendable {
        var peer: PeerID
        var request: JoinRequest
        var lastSeen: Double
        /// Steps completed, from this member's reports and `ready` answers.
        var completedSteps = 0
        /// Took part in a started generation: its state is the run's state.
        var trained = false
        /// Its answer to the current assignment.
        var ready: Int? = nil
    }

    enum Slot { case member(Int), pending(Int), evaluator(Int) }

    public let configuration: CoordinatorConfiguration
    public private(set) var phase: Phase
    /// Grows on every membership change (a generation forming, or falling below the minimum).
    public private(set) var generation: UInt64 = 0
    /// First step of the current generation (valid while training).
    public private(set) var startStep = 0
    /// The last step every rank of a generation reported, nil before the first.
    public private(set) var lastCompleteStep: Int?
    /// Set by early stopping: the last step to run (before `totalSteps`).
    public private(set) var finishAfterStep: Int?
    /// Step at which the shell last reported a consolidated checkpoint.
    public private(set) var lastCheckpointStep: Int?
    /// Step reports or `ready` answers of an old generation (or from non-members), ignored.
    public private(set) var staleReportsIgnored = 0
    /// Step reports for a step already summarised or already reported by that rank, ignored.
    public private(set) var duplicateReportsIgnored = 0

    private var members: [Member] = []
    private var pending: [Member] = []
    /// With CURVE: each node name's key, from its first admitted join.
    private var nodeKeys: [String: String] = [:]
    /// Join flood control: the current window's joins per sender and refusals logged or not.
    private var joinWindowStart = -Double.infinity
    private var joinsInWindow: [String: Int] = [:]
    private var refusalsLogged = 0
    private var refusalsUnlogged = 0
    private let maximumRefusalLines = 10
    /// Log lines waiting for the next directives returned (the window's summaries).
    private var pendingLogs: [CoordinatorDirective] = []
    private var evaluators: [Member] = []
    private var reports: [Int: [StepReport?]] = [:]
    private var hasTrained = false
    /// When the current generation formed, and when a step last completed (or training started).
    private var formedAt = 0.0
    private var progressAt = 0.0
    private var stallWarnedAt: Double?
    /// Partial steps kept at most; older ones are dropped (a rank's report was lost).
    private let maximumOpenSteps = 64

    /// - Parameter generationBase: generations count up from here. A restarted coordinator
    ///   passes a larger base than its previous life used, so no frame or message of an old
    ///   generation can pass for a new one.
    public init(configuration: CoordinatorConfiguration, now: Double, generationBase: UInt64 = 0) {
        self.configuration = configuration
        self.phase = .waiting(since: now)
        self.generation = generationBase
    }

    // MARK: Views for the shell

    /// Current members in rank order.
    public var ring: [RingMember] {
        members.enumerated().map {
            let request = $0.element.request
            return RingMember(rank: $0.offset, nodeID: request.nodeID, host: request.host, endpoint: request.ringEndpoint,
                              publicKey: request.publicKey, localEndpoint: request.localRingEndpoint, locality: request.locality)
        }
    }
    /// Current members' peers in rank order.
    public var memberPeers: [PeerID] { members.map(\.peer) }
    /// Workers admitted but waiting for the next step boundary, in join order.
    public var pendingPeers: [PeerID] { pending.map(\.peer) }
    public var evaluatorPeers: [PeerID] { evaluators.map(\.peer) }
    public var worldSize: Int { members.count }
    public func rank(of peer: PeerID) -> Int? { members.firstIndex { $0.peer == peer } }
    /// The node name of an admitted process.
    public func nodeID(of peer: PeerID) -> String? { locate(peer: peer).map { self[$0].request.nodeID } }
    /// Whether `peer` is an admitted worker (member or pending) or evaluator.
    public func isAdmitted(_ peer: PeerID) -> Bool { locate(peer: peer) != nil }

    // MARK: Events

    /// A process asks to join. Refused when an identity field differs, the node is an older
    /// incarnation, or `maxWorkers` are already in; otherwise admitted (immediately a member
    /// while waiting, else pending until the next step boundary).
    public mutating func onJoin(peer: PeerID, request: JoinRequest, now: Double) -> [CoordinatorDirective] {
        let directives = join(peer: peer, request: request, now: now)
        defer { pendingLogs.removeAll() }
        return pendingLogs + directives
    }

    private mutating func join(peer: PeerID, request: JoinRequest, now: Double) -> [CoordinatorDirective] {
        if phase == .stopped {
            return [.refuse(peer, JoinRefusal([.init(field: "coordinator", coordinator: "stopped", joiner: "join")]))]
        }
        guard admitsAnotherJoin(from: request.publicKey.isEmpty ? "connection \(peer)" : "key \(request.publicKey)", now: now) else {
            return []  // a flood: counted and summarised once per window, never answered
        }
        var mismatches = configuration.expected.mismatches(in: request)
        if request.nodeID.isEmpty {
            mismatches.append(.init(field: "nodeID", coordinator: "a non-empty name", joiner: "\"\""))
        }
        if request.role == .worker && request.ringEndpoint.isEmpty {
            mismatches.append(.init(field: "ringEndpoint", coordinator: "a bound endpoint", joiner: "\"\""))
        }
        mismatches += authorityMismatches(request)
        if !mismatches.isEmpty {
            return refuse(peer, request, JoinRefusal(mismatches), now: now)
        }

        var directives: [CoordinatorDirective] = []
        var lostMember = false
        if let slot = locate(peer: peer) {
            let existing = self[slot]
            if existing.request == request {  // a retransmitted join
                touch(peer, now)
                if case .pending = slot { return [.admit(peer, Admission(role: request.role, waitsForStepBoundary: true))] }
                return [.admit(peer, Admission(role: request.role, waitsForStepBoundary: false))]
            }
            lostMember = remove(slot, reason: .restarted(incarnation: request.incarnation), into: &directives) || lostMember
        }
        if let slot = locate(nodeID: request.nodeID) {
            let existing = self[slot]
            if request.incarnation <= existing.request.incarnation {
                let refusal = JoinRefusal([.init(field: "incarnation",
                                                 coordinator: "\(existing.request.incarnation) for \(request.nodeID)",
                                                 joiner: "\(request.incarnation)")])
                return directives + refuse(peer, request, refusal, now: now)
            }
            lostMember = remove(slot, reason: .restarted(incarnation: request.incarnation), into: &directives) || lostMember
        }
        if request.role == .evaluator && evaluators.count >= configuration.maxEvaluators {
            let refusal = JoinRefusal([.init(field: "evaluators", coordinator: "maxEvaluators \(configuration.maxEvaluators) already joined",
                                             joiner: "evaluator \(evaluators.count + 1)")])
            return directives + refuse(peer, request, refusal, now: now)
        }
        if !request.publicKey.isEmpty { nodeKeys[request.nodeID] = request.publicKey }

        let newcomer = Member(peer: peer, request: request, lastSeen: now)
        switch request.role {
        case .evaluator:
            evaluators.append(newcomer)
            directives.append(.log(.info, "evaluator \(request.nodeID) on \(request.host) joined"))
            directives.append(.admit(peer, Admission(role: .evaluator, waitsForStepBoundary: false)))
        case .worker:
            if members.count + pending.count >= configuration.maxWorkers {
                let refusal = JoinRefusal([.init(field: "workers", coordinator: "maxWorkers \(configuration.maxWorkers) already joined",
                                                 joiner: "worker \(members.count + pending.count + 1)")])
                directives += refuse(peer, request, refusal, now: now)
            } else if case .waiting = phase {
                members.append(newcomer)
                directives.append(.log(.info, "worker \(request.nodeID) on \(request.host) joined (\(members.count) of min \(configuration.minWorkers))"))
                directives.append(.admit(peer, Admission(role: .worker, waitsForStepBoundary: false)))
            } else {
                pending.append(newcomer)
                directives.append(.log(.info, "worker \(request.nodeID) on \(request.host) joined; it takes a rank at the next step boundary"))
                directives.append(.admit(peer, Admission(role: .worker, waitsForStepBoundary: true)))
            }
        }
        if lostMember {
            directives += membershipChanged(now: now)
        } else if case .waiting = phase, request.role == .worker {
            directives += startIfEnough(now: now)
        }
        return directives
    }

    /// Any sign of life. An unknown peer (e.g. one declared dead) is told to join again.
    public mutating func onHeartbeat(peer: PeerID, now: Double) -> [CoordinatorDirective] {
        if phase == .stopped { return [] }
        return touch(peer, now) ? [] : [.rejoin(peer)]
    }

    /// A member's answer to its assignment: `completedSteps` is how many steps its weights hold.
    public mutating func onReady(peer: PeerID, generation: UInt64, completedSteps: Int, now: Double) -> [CoordinatorDirective] {
        touch(peer, now)
        guard case .forming(let current) = phase, generation == current, let rank = rank(of: peer) else {
            staleReportsIgnored += 1
            return []
        }
        members[rank].ready = completedSteps
        guard members.allSatisfy({ $0.ready != nil }) else { return [] }

        // The state source: the member furthest along among those that trained in this run
        // (a fresh joiner's weights are not the run's), lowest rank on ties.
        let trained = members.indices.filter { members[$0].trained }
        let pool = trained.isEmpty ? Array(members.indices) : trained
        var source = pool[0]
        for r in pool where members[r].ready! > members[source].ready! { source = r }
        startStep = members[source].ready!
        let needsState = members.indices.filter { members[$0].ready! != startStep }
        for r in members.indices {
            members[r].trained = true
            members[r].completedSteps = members[r].ready!
        }
        phase = .training(generation: current)
        hasTrained = true
        progressAt = now
        stallWarnedAt = nil
        reports.removeAll()

        var directives: [CoordinatorDirective] = []
        if let last = lastCompleteStep, startStep <= last {
            directives.append(.log(.warning, "generation \(current) resumes at step \(startStep + 1) but step \(last + 1) had completed: steps \(startStep + 1)...\(last + 1) are recomputed"))
        }
        let copy = needsState.isEmpty ? "" : "; ranks \(needsState) copy state from rank \(source)"
        directives.append(.log(.info, "generation \(current) starts at step \(startStep + 1) with \(members.count) workers\(copy)"))
        directives.append(.startTraining(StartTraining(generation: current, startStep: startStep,
                                                       stateSource: needsState.isEmpty ? nil : source,
                                                       needsState: needsState), to: memberPeers))
        if let total = configuration.totalSteps, startStep >= total {
            // The members finished while this coordinator was away (or before it restarted).
            return directives + stop(.finished(step: total - 1))
        }
        return directives
    }

    /// A rank completed a step. Once every rank reported `report.step`: progress, checksum
    /// agreement, the finish check, and admission of pending workers.
    public mutating func onStepReport(peer: PeerID, report: StepReport, now: Double) -> [CoordinatorDirective] {
        touch(peer, now)
        guard case .training(let current) = phase, report.generation == current, let rank = rank(of: peer) else {
            staleReportsIgnored += 1
            return []
        }
        if report.step < startStep || (lastCompleteStep.map { report.step <= $0 } ?? false) {
            duplicateReportsIgnored += 1
            return []
        }
        members[rank].completedSteps = max(members[rank].completedSteps, report.step + 1)
        var row = reports[report.step] ?? Array(repeating: nil, count: members.count)
        if row[rank] != nil {
            duplicateReportsIgnored += 1
            return []
        }
        row[rank] = report
        if row.contains(where: { $0 == nil }) {
            reports[report.step] = row
            var directives: [CoordinatorDirective] = []
            if reports.count > maximumOpenSteps, let oldest = reports.keys.min() {
                let missing = reports[oldest]!.indices.filter { reports[oldest]![$0] == nil }
                reports[oldest] = nil
                directives.append(.log(.warning, "step \(oldest + 1) never completed: no report from ranks \(missing)"))
            }
            return directives
        }
        reports[report.step] = nil
        return completeStep(row.map { $0! }, generation: current, now: now)
    }

    /// A process says goodbye.
    public mutating func onLeave(peer: PeerID, now: Double) -> [CoordinatorDirective] {
        guard phase != .stopped, let slot = locate(peer: peer) else { return [] }
        var directives: [CoordinatorDirective] = []
        if remove(slot, reason: .left, into: &directives) {
            directives += membershipChanged(now: now)
        }
        return directives
    }

    /// Time passes: heartbeat timeouts and the wait timeout.
    public mutating func onTick(now: Double) -> [CoordinatorDirective] {
        guard phase != .stopped else { return [] }
        let timeout = configuration.heartbeatTimeout
        var directives: [CoordinatorDirective] = pendingLogs
        pendingLogs.removeAll()
        if now - joinWindowStart >= configuration.joinWindow, !joinsInWindow.isEmpty || refusalsUnlogged > 0 {
            directives += closeJoinWindow(now: now)
        }
        var lostMember = false
        // Remove from the highest rank down so that each directive names the rank the member held.
        for r in members.indices.reversed() where now - members[r].lastSeen > timeout {
            lostMember = remove(.member(r), reason: .heartbeatTimeout(seconds: now - members[r].lastSeen), into: &directives) || lostMember
        }
        while let i = pending.indices.first(where: { now - pending[$0].lastSeen > timeout }) {
            _ = remove(.pending(i), reason: .heartbeatTimeout(seconds: now - pending[i].lastSeen), into: &directives)
        }
        while let i = evaluators.indices.first(where: { now - evaluators[$0].lastSeen > timeout }) {
            _ = remove(.evaluator(i), reason: .heartbeatTimeout(seconds: now - evaluators[i].lastSeen), into: &directives)
        }
        if case .forming = phase, now - formedAt > configuration.readyTimeout {
            for r in members.indices.reversed() where members[r].ready == nil {
                lostMember = remove(.member(r), reason: .assignmentUnanswered(seconds: now - formedAt), into: &directives) || lostMember
            }
        }
        if case .training = phase, let limit = configuration.stepTimeout, now - progressAt > limit {
            let next = (lastCompleteStep.map { $0 + 1 }).map { max($0, startStep) } ?? startStep
            let row = reports[next] ?? Array(repeating: nil, count: members.count)
            let late = row.indices.filter { row[$0] == nil }
            if late.count < row.count {
                for r in late.reversed() {
                    lostMember = remove(.member(r), reason: .stalled(step: next, seconds: now - progressAt), into: &directives) || lostMember
                }
            } else if stallWarnedAt.map({ now - $0 > limit }) ?? true {
                stallWarnedAt = now
                directives.append(.log(.warning, "no step completed for \(now - progressAt) s: no rank reported step \(next + 1)"))
            }
        }
        if lostMember { directives += membershipChanged(now: now) }
        if case .waiting(let since) = phase,
           let limit = hasTrained ? configuration.belowMinimumTimeout : configuration.startupTimeout,
           now - since > limit {
            directives += stop(.tooFewWorkers(have: members.count, need: configuration.minWorkers, waitedSeconds: now - since))
        }
        return directives
    }

    /// The shell wrote a consolidated checkpoint of the weights after `step`.
    public mutating func onCheckpointWritten(step: Int, now: Double) -> [CoordinatorDirective] {
        lastCheckpointStep = step
        return [.log(.info, "checkpoint after step \(step) written")]
    }

    /// Early stopping: the run ends after step `lastCompleteStep + margin` (workers may already
    /// be a step or two past what the coordinator knows; all of them must stop at the same step
    /// boundary). Emits `.finishAfter` for the members; the run then finishes normally.
    public mutating func onEarlyStop(_ why: String, margin: Int = 4, now: Double) -> [CoordinatorDirective] {
        guard case .training = phase, finishAfterStep == nil else { return [] }
        var step = (lastCompleteStep ?? startStep) + margin
        if let total = configuration.totalSteps { step = min(step, total - 1) }
        finishAfterStep = step
        return [.log(.info, "early stopping (\(why)): the run ends after step \(step + 1)"), .finishAfter(step: step, notify: memberPeers)]
    }

    /// An operator (or a signal) asks the run to stop.
    public mutating func onStopRequested(_ why: String, now: Double) -> [CoordinatorDirective] {
        guard phase != .stopped else { return [] }
        return stop(.requested(why))
    }

    // MARK: Internals

    /// With CURVE, who may be what: a key listed with a role takes only that role, and a node
    /// name belongs to the first key that joined under it (so one worker's key cannot take
    /// another's name, nor an evaluator's key a rank). On plain TCP nothing is bound.
    private func authorityMismatches(_ request: JoinRequest) -> [JoinRefusal.Mismatch] {
        guard !request.publicKey.isEmpty else { return [] }
        var mismatches: [JoinRefusal.Mismatch] = []
        if let role = configuration.keyRoles[request.publicKey], role != request.role {
            mismatches.append(.init(field: "role", coordinator: "key \(request.publicKey) authorised as \(role) only",
                                    joiner: "\(request.role)"))
        }
        if let owner = nodeKeys[request.nodeID], owner != request.publicKey {
            mismatches.append(.init(field: "nodeID", coordinator: "\(request.nodeID) bound to key \(owner)",
                                    joiner: "key \(request.publicKey)"))
        }
        return mismatches
    }

    /// Counts a join against its sender's window; false once the sender sent more than
    /// `joinsPerWindow` in it (the first of those is logged, the rest counted and summarised
    /// when the window ends).
    private mutating func admitsAnotherJoin(from sender: String, now: Double) -> Bool {
        if now - joinWindowStart >= configuration.joinWindow { pendingLogs += closeJoinWindow(now: now) }
        let count = (joinsInWindow[sender] ?? 0) + 1
        joinsInWindow[sender] = count
        if count == configuration.joinsPerWindow + 1 {
            pendingLogs.append(.log(.warning, "\(sender) sent more than \(configuration.joinsPerWindow) joins in \(Int(configuration.joinWindow)) s; its further joins in this window are ignored"))
        }
        return count <= configuration.joinsPerWindow
    }

    private mutating func closeJoinWindow(now: Double) -> [CoordinatorDirective] {
        var directives: [CoordinatorDirective] = []
        let flooded = joinsInWindow.filter { $0.value > configuration.joinsPerWindow }
        if !flooded.isEmpty {
            let ignored = flooded.values.reduce(0) { $0 + $1 - configuration.joinsPerWindow }
            directives.append(.log(.warning, "ignored \(ignored) join(s) from \(flooded.count) flooding sender(s) in the last \(Int(now - joinWindowStart)) s"))
        }
        if refusalsUnlogged > 0 {
            directives.append(.log(.warning, "\(refusalsUnlogged) more join refusal(s) in the last \(Int(now - joinWindowStart)) s, not logged one by one"))
        }
        joinsInWindow.removeAll()
        refusalsLogged = 0
        refusalsUnlogged = 0
        joinWindowStart = now
        return directives
    }

    /// Refuses a join, logging it unless this window already logged `maximumRefusalLines`.
    private mutating func refuse(_ peer: PeerID, _ request: JoinRequest, _ refusal: JoinRefusal, now: Double) -> [CoordinatorDirective] {
        var directives: [CoordinatorDirective] = []
        if refusalsLogged < maximumRefusalLines {
            refusalsLogged += 1
            directives.append(.log(.warning, "refused \(request.role) \(request.nodeID) on \(request.host) (\(peer)): \(refusal)"))
        } else {
            refusalsUnlogged += 1
        }
        return directives + [.refuse(peer, refusal)]
    }

    private subscript(slot: Slot) -> Member {
        switch slot {
        case .member(let i): return members[i]
        case .pending(let i): return pending[i]
        case .evaluator(let i): return evaluators[i]
        }
    }

    private func locate(peer: PeerID) -> Slot? {
        if let i = members.firstIndex(where: { $0.peer == peer }) { return .member(i) }
        if let i = pending.firstIndex(where: { $0.peer == peer }) { return .pending(i) }
        if let i = evaluators.firstIndex(where: { $0.peer == peer }) { return .evaluator(i) }
        return nil
    }

    private func locate(nodeID: String) -> Slot? {
        if let i = members.firstIndex(where: { $0.request.nodeID == nodeID }) { return .member(i) }
        if let i = pending.firstIndex(where: { $0.request.nodeID == nodeID }) { return .pending(i) }
        if let i = evaluators.firstIndex(where: { $0.request.nodeID == nodeID }) { return .evaluator(i) }
        return nil
    }

    @discardableResult
    private mutating func touch(_ peer: PeerID, _ now: Double) -> Bool {
        switch locate(peer: peer) {
        case .member(let i): members[i].lastSeen = max(members[i].lastSeen, now)
        case .pending(let i): pending[i].lastSeen = max(pending[i].lastSeen, now)
        case .evaluator(let i): evaluators[i].lastSeen = max(evaluators[i].lastSeen, now)
        case nil: return false
        }
        return true
    }

    /// Removes one process; returns true when it held a rank (so the ring must re-form).
    private mutating func remove(_ slot: Slot, reason: DeathReason, into directives: inout [CoordinatorDirective]) -> Bool {
        switch slot {
        case .member(let rank):
            let m = members.remove(at: rank)
            directives.append(.log(.warning, "rank \(rank) (\(m.request.nodeID) on \(m.request.host)) is gone: \(reason)"))
            directives.append(.memberDead(rank: rank, nodeID: m.request.nodeID, host: m.request.host, peer: m.peer, reason: reason))
            return true
        case .pending(let i):
            let m = pending.remove(at: i)
            directives.append(.log(.warning, "waiting worker \(m.request.nodeID) on \(m.request.host) is gone: \(reason)"))
            return false
        case .evaluator(let i):
            let m = evaluators.remove(at: i)
            directives.append(.log(.warning, "evaluator \(m.request.nodeID) on \(m.request.host) is gone: \(reason)"))
            return false
        }
    }

    /// After a member left: re-form the ring with the survivors (and pending joiners), or wait.
    private mutating func membershipChanged(now: Double) -> [CoordinatorDirective] {
        switch phase {
        case .stopped:
            return []
        case .waiting:
            return startIfEnough(now: now)
        case .forming, .training:
            if members.count + pending.count >= configuration.minWorkers {
                return formGeneration(now: now)
            }
            members += pending
            pending.removeAll()
            generation += 1
            phase = .waiting(since: now)
            reports.removeAll()
            return [.log(.warning, "generation \(generation): \(members.count) workers, below the minimum \(configuration.minWorkers); training paused"),
                    .waitingForWorkers(have: members.count, need: configuration.minWorkers)]
        }
    }

    private mutating func startIfEnough(now: Double) -> [CoordinatorDirective] {
        if members.count >= configuration.minWorkers { return formGeneration(now: now) }
        return [.waitingForWorkers(have: members.count, need: configuration.minWorkers)]
    }

    private mutating func formGeneration(now: Double) -> [CoordinatorDirective] {
        while !pending.isEmpty && members.count < configuration.maxWorkers {
            members.append(pending.removeFirst())
        }
        generation += 1
        phase = .forming(generation: generation)
        formedAt = now
        reports.removeAll()
        for r in members.indices { members[r].ready = nil }
        let (ordered, denied) = RankPreference.arrange(members) { $0.request.requestedRank }
        let unmet = denied.map { "\(members[$0].request.nodeID) asked \(members[$0].request.requestedRank!)" }
        members = ordered
        let ring = self.ring
        let names = ring.map { "\($0.rank): \($0.nodeID)@\($0.host)" }.joined(separator: ", ")
        var directives: [CoordinatorDirective] = [.log(.info, "generation \(generation) forms with \(ring.count) workers [\(names)]")]
        if !unmet.isEmpty {
            directives.append(.log(.warning, "requested ranks not granted (taken, or not below \(ring.count)): \(unmet.joined(separator: ", "))"))
        }
        for (rank, member) in members.enumerated() {
            directives.append(.assign(member.peer, Assignment(rank: rank, worldSize: ring.count, generation: generation, ring: ring)))
        }
        return directives
    }

    private mutating func completeStep(_ row: [StepReport], generation current: UInt64, now: Double) -> [CoordinatorDirective] {
        let step = row[0].step
        lastCompleteStep = step
        progressAt = now
        stallWarnedAt = nil
        var samples = 0
        var lossSum = 0.0, accuracySum = 0.0, slowestTime = 0.0
        for r in row {
            samples += r.samples
            lossSum += r.loss * Double(r.samples)
            accuracySum += r.accuracy * Double(r.samples)
            slowestTime = max(slowestTime, r.computeSeconds + r.allReduceWaitSeconds)
        }
        let perRank = row.enumerated().map { StepSummary.RankTiming(rank: $0.offset, computeSeconds: $0.element.computeSeconds,
                                                                     allReduceWaitSeconds: $0.element.allReduceWaitSeconds,
                                                                     ringSendBusySeconds: $0.element.ringSendBusySeconds) }
        var slowest = 0
        for rank in perRank.indices where StepSummary.holdUpSeconds(of: rank, in: perRank) > StepSummary.holdUpSeconds(of: slowest, in: perRank) {
            slowest = rank
        }
        let weight = samples > 0 ? Double(samples) : 1
        let summary = StepSummary(
            generation: current, step: step, epoch: row[0].epoch,
            meanLoss: lossSum / weight, meanAccuracy: accuracySum / weight, samples: samples,
            imagesPerSecond: slowestTime > 0 ? Double(samples) / slowestTime : 0,
            perRank: perRank, slowestRank: slowest)
        var directives: [CoordinatorDirective] = [.progress(summary)]

        let sums = row.enumerated().compactMap { (rank, r) in r.weightChecksum.map { StopReason.RankChecksum(rank: rank, checksum: $0) } }
        if !sums.isEmpty {
            if sums.count < row.count {
                let silent = row.indices.filter { row[$0].weightChecksum == nil }
                directives.append(.log(.warning, "step \(step + 1): ranks \(silent) sent no weight checksum"))
            }
            var counts: [UInt64: Int] = [:]
            for s in sums { counts[s.checksum, default: 0] += 1 }
            if counts.count == 1 {
                if sums.count == row.count {
                    directives.append(.weightsAgree(generation: current, step: step, checksum: sums[0].checksum))
                }
            } else {
                let majority = counts.first { $0.value * 2 > sums.count }?.key
                let minority = sums.filter { $0.checksum != majority }
                return directives + stop(.weightsDiverged(step: step, majority: majority, minority: minority))
            }
        }
        if step >= (finishAfterStep ?? Int.max) || configuration.totalSteps.map({ step + 1 >= $0 }) == true {
            return directives + stop(.finished(step: step))
        }
        if !pending.isEmpty && members.count < configuration.maxWorkers {
            directives.append(.log(.info, "after step \(step + 1): admitting \(pending.count) waiting worker(s)"))
            directives += formGeneration(now: now)
        }
        return directives
    }

    private mutating func stop(_ reason: StopReason) -> [CoordinatorDirective] {
        phase = .stopped
        let everyone = members.map(\.peer) + pending.map(\.peer) + evaluators.map(\.peer)
        let level: CoordinatorDirective.LogLevel
        if case .finished = reason { level = .info } else { level = .error }
        return [.log(level, "stopping: \(reason)"), .stop(reason, notify: everyone)]
    }
}

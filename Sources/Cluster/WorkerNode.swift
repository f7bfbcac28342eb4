import Checkpoints
import Collective
import Compression
import Coordination
import Dataset
import Dispatch
import Evaluation
import Foundation
import Logs
import Signals
import Status
import Kernels
import Model
import Training
import Transport
import Wire

/// A worker process: fetches the run's settings (and, if it lacks them, the data) from the
/// coordinator, joins, trains its shard of every global batch, and all-reduces gradients with its
/// ring neighbours directly. Rank 0 also scores each epoch on the validation hold-out and uploads
/// the kept model at the end. Every wait has a deadline.
public final class WorkerNode {
    public struct Options: Sendable {
        public var coordinator: String
        public var configPath: String?
        public var dataPath: String?
        public var threads = 1
        public var cacheFolder = DataCache.defaultFolder
        /// Address other workers reach this one on; nil: the local address facing the coordinator.
        public var advertiseHost: String?
        public var ringTimeoutSeconds = 60.0
        public var controlTimeoutSeconds = 60.0
        /// How long a worker waits for a silent coordinator to come back (or be restarted).
        public var coordinatorWaitSeconds = 600.0
        /// SIGTERM/SIGINT: the coordinator is expected to stop the run (it gets the same signal
        /// from an orchestrator); if it has not within this many seconds, this worker leaves the
        /// ring after its step in flight and exits with status 75. nil: signals are not watched.
        public var stop: StopSignal?
        public var leaveAfterSeconds = StopSignal.defaultGraceSeconds / 2
        public var nodeID = ProcessInfo.processInfo.hostName + "-\(getpid())"
        /// The rank a scheduler gave this process, asked for in the join (granted when free).
        public var requestedRank: Int?
        /// Ring neighbours on the same host (same kernel and network namespace) talk through a
        /// Unix socket instead of TCP; false: always TCP.
        public var sameHostUnixSockets = true
        /// Where `/status` and `/metrics` read from (nil: nobody is looking); updated every step
        /// (a copy under a lock: the status server never holds up training).
        public var status: StatusBoard?

        public init(coordinator: String) { self.coordinator = coordinator }
    }

    let options: Options
    let say: (String) -> Void

    public init(options: Options, log: @escaping (String) -> Void) {
        self.options = options
        self.say = log
    }

    private var control: CoordinatorClient!
    /// Set by early stopping: the last step to run.
    private var finishAfter: Int?
    /// The generation this worker trains in.
    private var generation: UInt64 = 0

    /// Why training in a generation was cut short.
    enum Interruption: Error {
        /// The coordinator formed a new generation (a member died, left or joined).
        case reassigned(Assignment)
        /// The coordinator does not know this worker (it restarted, or declared it dead).
        case rejoin(String)
        /// The coordinator has been silent too long: training pauses at a step boundary.
        case coordinatorLost(Double)
        case stopped(StopReason)
    }

    public func run() throws {
        ReceiveAllocator.keepFreedMessageMemory()
        let security = try ClusterSecurity.forWorker(configPath: options.configPath)
        say(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let context = try ZMQContext()
        control = try CoordinatorClient(context: context, coordinator: options.coordinator, timeoutSeconds: options.controlTimeoutSeconds,
                                        log: say, security: security)
        let endpoint = control.endpoint

        // 1. What to train, on which data.
        let (info, config, dataset) = try control.obtainRun(configPath: options.configPath, dataPath: options.dataPath,
                                                            threads: options.threads, cacheFolder: options.cacheFolder)
        let (train, validation) = TrainingRun.splits(config: config, dataset: dataset)
        let yaml = String(decoding: info.configuration, as: UTF8.self)

        // 2. Join with everything the coordinator checks; one ring endpoint for every generation.
        let host = options.advertiseHost ?? Self.localAddress(towards: endpoint) ?? "127.0.0.1"
        let ringGuard = try security.startRingGuard(context: context, log: { [logger = ProcessLog.logger()] in logger.log(prefixed: $0) })
        defer { ringGuard?.stop() }
        let link = try ZeroMQRingLink(context: context, bind: "tcp://\(host):*", curve: security.keys, zap: ringGuard)
        defer { link.close() }
        let locality = options.sameHostUnixSockets ? HostLocality.current() : ""
        let localEndpoint = locality.isEmpty ? "" : try link.bindLocal(HostLocality.abstractEndpoint("ring"))
        let identity = RunIdentity.cluster(config: config, dataset: dataset)
        var join = JoinRequest(role: .worker, version: identity.version, configDigest: identity.configDigest,
                               architectureDigest: identity.architectureDigest, parameterCount: identity.parameterCount,
                               dataDigest: identity.dataDigest, host: host, ringEndpoint: link.boundEndpoint,
                               localRingEndpoint: localEndpoint, locality: locality,
                               computeThreads: options.threads, nodeID: options.nodeID,
                               incarnation: UInt64(Date().timeIntervalSince1970 * 1e6), requestedRank: options.requestedRank,
                               publicKey: security.keys?.publicKey ?? "")
        try control.send(.join(join))
        options.status?.update { $0.phase = "joining" }

        // 3. Generations: each a ring of the members of the moment. Training continues from the
        // last completed step when membership changes; replicas are identical, so nothing is
        // reloaded from disk (a rank that fell behind copies a peer's state via the coordinator).
        var trainer: Trainer?
        var next: Assignment?
        while true {
            let assignment: Assignment
            do { assignment = try next ?? awaitAssignment(join) } catch Interruption.rejoin(let why) {
                say("joining again: \(why)")
                try joinAgain(join)
                continue
            } catch Interruption.stopped(let reason) {
                if case .suspended = reason { throw RuntimeError.suspended("worker: \(reason)") }
                guard case .finished = reason else { throw RuntimeError.stopped(reason.description) }
                say("done: \(reason) (without this worker)")
                return
            }
            next = nil
            generation = assignment.generation
            options.status?.update { $0.take(rank: assignment.rank, generation: assignment.generation) }
            // From here this process's log lines read `worker rank=R gen=G`.
            ProcessLabels.shared.update {
                $0.rank = assignment.rank
                $0.generation = assignment.generation
            }
            say("rank \(assignment.rank) of \(assignment.worldSize) (generation \(assignment.generation)); ring: \(assignment.ring.map(\.endpoint).joined(separator: " -> "))")
            try security.trustPredecessor(ringGuard, assignment: assignment)
            let watched = WatchedRingLink(link, generation: assignment.generation, cancellation: cancellation, traffic: traffic)
            let reducer = RingReducer(link: watched, rank: assignment.rank, worldSize: assignment.worldSize,
                                      elementCount: config.architecture.parameterCount, generation: assignment.generation,
                                      timeoutMilliseconds: Int(options.ringTimeoutSeconds * 1000),
                                      compression: config.compression, layout: config.architecture.layout,
                                      compressionRank: config.compressionRank, seed: config.seed)
            reducer.whileWaiting = { [unowned self] in self.controlWhileWaiting() }
            let replica: Trainer
            if let trainer {
                replica = trainer
                replica.reducer = reducer
            } else {
                replica = Trainer(config: config, train: train, reducer: reducer)
                trainer = replica
                // The run's starting state (a resume or a warm start). A worker that joins after the
                // run has moved on (a restarted one) finds a newer checkpoint served instead: it
                // starts empty, says so in `ready`, and gets a peer's state in the transfer.
                if let resume = info.resume {
                    if let bytes = try control.fetchCheckpoint(resume, newer: { _ in }) {
                        try takeState(Checkpoint.decode(bytes, source: "the coordinator's checkpoint of step \(resume.step)"), into: replica)
                        say("loaded the checkpoint of step \(resume.step) from the coordinator")
                    } else {
                        say("the run has moved past the checkpoint of step \(resume.step): this worker gets a peer's state when the ring forms")
                    }
                }
            }
            do {
                try control.send(.ready(completedSteps: replica.globalStep), generation: assignment.generation)
                let start: StartTraining = try awaitControl(what: "the start signal") {
                    if case .start(let s) = $0, s.generation == assignment.generation { return s } else { return nil }
                }
                try transferState(start, rank: assignment.rank, trainer: replica, configuration: yaml)
                let successorEndpoint = try security.connectRing(link, assignment: assignment, locality: locality)
                let sameHost = assignment.successor.usesLocalEndpoint(from: locality)
                say("ring: sending to rank \(assignment.successor.rank) over \(sameHost ? "a Unix socket (same host)" : "TCP") at \(successorEndpoint)")
                try surfacingInterruption {
                    try negotiateCompression(reducer, trainer: replica, rank: assignment.rank)
                    _ = reducer.takeCommunicationSeconds()  // the negotiation's probe is not a step's
                    options.status?.update { $0.take(ringFormed: reducer.requested.rawValue, method: reducer.method.rawValue) }
                    try trainSteps(replica, from: start.startStep, lead: assignment.rank == 0, validation: validation, config: config, yaml: yaml)
                }
                options.status?.update { $0.phase = "stopping"; $0.ready = false }
                // 4. Wait to be released. A stop for the last step may already have come with
                // the last step's answers; then a second one is only waited for briefly, as long
                // as the coordinator has asked for all of this worker's upload.
                while true {
                    do {
                        let reason: StopReason = try awaitControl(what: "the coordinator's stop", seconds: finishAfter == nil ? options.coordinatorWaitSeconds : 5) {
                            if case .stop(let r) = $0 { return r } else { return nil }
                        }
                        if case .suspended = reason { throw RuntimeError.suspended("worker: \(reason)") }
                        say("done: \(reason)")
                    } catch RuntimeError.timeout(_) where finishAfter != nil {
                        if control.uploadPending { continue }
                        say("done: finished after step \(finishAfter! + 1)")
                    }
                    return
                }
            } catch Interruption.reassigned(let a) {
                say("membership changed: generation \(a.generation) (\(a.worldSize) workers); continuing after step \(replica.globalStep)")
                next = a
            } catch Interruption.rejoin(let why) {
                options.status?.update { $0.phase = "joining"; $0.ready = false }
                say("joining again: \(why); this replica holds step \(replica.globalStep)")
                try joinAgain(join)
            } catch Interruption.coordinatorLost(let silent) {
                // No checkpoint can be consolidated and the run cannot finish without it, so wait
                // for it (or its restart), then join again as a new incarnation: the next
                // generation starts from this replica's step, and no frame of an abandoned
                // all-reduce is ever summed.
                options.status?.update { $0.phase = "waiting"; $0.ready = false }
                say(String(format: "the coordinator has been silent for %.1f s: pausing at step %d until it is back", silent, replica.globalStep))
                _ = try control.awaitMessage(what: "the coordinator's return", seconds: options.coordinatorWaitSeconds) { _ in true }
                join.incarnation = UInt64(Date().timeIntervalSince1970 * 1e6)
                say("the coordinator answers again; joining as a new incarnation with step \(replica.globalStep)")
                try joinAgain(join)
            } catch Interruption.stopped(let reason) {
                if case .finished = reason {
                    // The run ended while this worker waited for a rank (it had been fenced out).
                    say("done: \(reason) (without this worker)")
                    return
                }
                if case .suspended = reason { throw RuntimeError.suspended("worker: \(reason)") }
                throw RuntimeError.stopped(reason.description)
            }
        }
    }

    /// Trains from `first` to the last step (or early stopping's), reporting every step.
    private func trainSteps(_ trainer: Trainer, from first: Int, lead isLead: Bool, validation: ImageSet, config: TrainingConfig, yaml: String) throws {
        var plan = StepPlan(config: config, stepsPerEpoch: trainer.stepsPerEpoch)
        options.status?.update {
            $0.totalSteps = plan.totalSteps
            $0.epochs = config.epochs
        }
        var order: [Int] = []
        var index = first
        var previousEnd: UInt64?
        while true {
            // Early stopping's last step comes with control: between steps, or while a step's
            // all-reduce waits (so the plan is read again after the step).
            plan.finishAfter = finishAfter
            guard plan.runs(index) else { break }
            var step = plan.step(index)
            if step.startsEpoch || order.isEmpty { order = trainer.order(epoch: step.epoch) }
            let stats = try trainer.step(epoch: step.epoch, stepInEpoch: step.inEpoch, order: order)
            plan.finishAfter = finishAfter
            step = plan.step(index)
            let completed = step.number
            if let status = options.status {
                let now = DispatchTime.now().uptimeNanoseconds
                let seconds = previousEnd.map { Double(now - $0) / 1e9 }
                previousEnd = now
                let communication = (trainer.reducer as? RingReducer)?.takeCommunicationSeconds() ?? 0
                status.update {
                    $0.take(step: stats, completed: completed, epoch: step.epochNumber, stepSeconds: seconds, communicationSeconds: communication,
                            bytesSent: traffic.bytesSent, bytesReceived: traffic.bytesReceived)
                }
            }
            if isLead && step.isEpochEnd && validation.count > 0 {
                let report = try ClassificationReport(probabilities: Trainer.predict(validation, with: trainer.network, afterEachBatch: control.heartbeatIfDue),
                                                      labels: validation.labels)
                try control.send(.evaluationResult(EvaluationResult(step: completed, epoch: step.epochNumber, validation: EvaluationResult.Scores(report))),
                                 generation: generation)
            }
            // A newer upload replaces one still being pulled, except that a mid-epoch checkpoint
            // never replaces an epoch end's (epoch ends choose the kept model, as in the
            // coordinator's write queue); the run's last one is always offered.
            if isLead && step.checkpointDue && (step.isEpochEnd || step.isLast || !(control.uploadPending && uploadClosesEpoch)) {
                try control.upload(trainer.checkpoint(configuration: yaml, progress: ["gradient_compression": compressionNote]).encode(),
                                   step: completed, generation: generation)
                uploadClosesEpoch = step.isEpochEnd
            }
            let checksum: UInt64? = completed % Self.checksumEvery == 0 || step.checkpointDue ? trainer.network.parameters.checksum() : nil
            let report = StepReport(generation: generation, step: step.index, epoch: step.epoch,
                                    loss: stats.samples > 0 ? stats.loss / Double(stats.samples) : 0,
                                    accuracy: stats.samples > 0 ? Double(stats.correct) / Double(stats.samples) : 0,
                                    samples: stats.samples, computeSeconds: stats.computeSeconds,
                                    allReduceWaitSeconds: stats.reduceSeconds, weightChecksum: checksum,
                                    ringSendBusySeconds: (trainer.reducer as? RingReducer)?.takeSuccessorBusySeconds())
            try control.send(.stepReport(report), generation: generation)
            reportLog.append(report)
            if reportLog.count > Self.reportLogLimit { reportLog.removeFirst(reportLog.count / 2) }
            try leaveIfStoppedAlone(completedSteps: completed)
            if let reducer = trainer.reducer as? RingReducer, reducer.rejectedFrames > rejectedFramesLogged {
                // Logged when the count first grows and then at powers of ten: a flood costs a few lines.
                let count = reducer.rejectedFrames
                if rejectedFramesLogged == 0 || String(count).count > String(rejectedFramesLogged).count {
                    say("ring: dropped \(count) frame(s) that were not this ring's (first: \(reducer.firstRejection ?? "?")); training goes on")
                }
                rejectedFramesLogged = count
            }
            try handleControl()
            index += 1
        }
        if let finishAfter, finishAfter < plan.totalSteps - 1 { say("early stopping: finished after step \(finishAfter + 1)") }
    }

    /// A signal asked this worker to stop, but the coordinator has not stopped the run within
    /// `leaveAfterSeconds` (the signal was this worker's alone: a node drained, a pod evicted):
    /// it leaves the ring, which re-forms without it, and exits with status 75.
    private func leaveIfStoppedAlone(completedSteps: Int) throws {
        guard let request = options.stop?.request else { return }
        let t = control.now()
        guard let since = stopSeen else {
            stopSeen = t
            say("\(request.signal): the coordinator stops the run if it got the signal too; otherwise this worker leaves in \(Int(options.leaveAfterSeconds)) s")
            return
        }
        guard t - since >= options.leaveAfterSeconds, finishAfter == nil else { return }
        try? control.send(.leave(reason: "\(request.signal)"), generation: generation)
        throw RuntimeError.suspended("worker: left the run on \(request.signal) after step \(completedSteps); the others go on without it")
    }
    private var stopSeen: Double?

    /// Joins again (a restarted coordinator, or one that no longer knows this worker), then
    /// sends this worker's step reports once more: a restarted coordinator never heard the steps
    /// trained while it was away, and its history takes what it lacks from them (once per step
    /// and node); any other coordinator drops them unread.
    private func joinAgain(_ join: JoinRequest) throws {
        try control.send(.join(join))
        for report in reportLog { try control.send(.stepReplay(report), generation: report.generation) }
    }

    /// This worker's step reports, newest last (at most `reportLogLimit`, about 20 MB), sent
    /// again to a coordinator that restarted.
    private var reportLog: [StepReport] = []
    static let reportLogLimit = 200_000

    /// The upload offered last is an epoch end's checkpoint.
    private var uploadClosesEpoch = false

    /// Rejected ring frames already reported.
    private var rejectedFramesLogged = 0

    /// What `gradient_compression` resolved to in this generation, recorded in every checkpoint.
    private var compressionNote = ""

    /// Resolves `gradient_compression: auto` on the new ring (every rank at this same point) and
    /// says which method the ring uses and why.
    private func negotiateCompression(_ reducer: RingReducer, trainer: Trainer, rank: Int) throws {
        let note: String
        let measure = { [self] in
            let seconds = measuredCompute ?? trainer.measureComputeSeconds()
            measuredCompute = seconds
            return seconds
        }
        if let choice = try reducer.negotiate(computeSeconds: measure, recorded: recordedMethod) {
            note = choice.description
            recordedMethod = choice.method
        } else if reducer.worldSize == 1 {
            note = "gradient_compression \(reducer.requested): a ring of one sends nothing"
        } else {
            note = "gradient_compression \(reducer.method) (configured)"
        }
        if note != compressionNote || rank == 0 { say(note) }
        compressionNote = note
    }

    /// The method this run's ring chose before: in an earlier generation, or in the checkpoint
    /// this replica resumed from. `auto` keeps it, so a re-formed or resumed ring does the same
    /// maths (exact resume stays bit-exact) whatever the machine's load.
    private var recordedMethod: GradientCompression?

    /// Loads a checkpoint's state, and the compression method its run had chosen.
    private func takeState(_ checkpoint: Checkpoint, into trainer: Trainer) throws {
        try trainer.resume(from: checkpoint)
        if let method = CompressionChoice.method(recordedIn: checkpoint.state.progress["gradient_compression"] ?? "") {
            recordedMethod = method
        }
    }

    /// One step's compute on this machine, measured once (for `auto`).
    private var measuredCompute: Double?

    /// After a membership change, ranks that fell behind load the state of the rank furthest
    /// along: it uploads its checkpoint to the coordinator, which offers it to them.
    private func transferState(_ start: StartTraining, rank: Int, trainer: Trainer, configuration yaml: String) throws {
        guard let source = start.stateSource, !start.needsState.isEmpty else { return }
        if source == rank {
            say("sending this replica's state (step \(trainer.globalStep)) for ranks \(start.needsState)")
            try control.upload(trainer.checkpoint(configuration: yaml, progress: ["gradient_compression": compressionNote]).encode(),
                               step: trainer.globalStep, generation: generation)
            uploadClosesEpoch = false
        }
        guard start.needsState.contains(rank) else { return }
        let offer: CheckpointOffer = try awaitControl(what: "rank \(source)'s state") {
            if case .checkpointOffer(let o) = $0, o.step == start.startStep { return o } else { return nil }
        }
        guard let bytes = try control.fetchCheckpoint(offer) else { throw RuntimeError.protocolViolation("rank \(source)'s state changed while fetching") }
        try takeState(Checkpoint.decode(bytes, source: "rank \(source)'s state at step \(offer.step)"), into: trainer)
        say("loaded rank \(source)'s state: step \(offer.step)")
    }

    /// Weight checksums go to the coordinator every this many steps (and after the last).
    static let checksumEvery = 25

    /// Abandons this process's all-reduces of older generations (`controlWhileWaiting`).
    private let cancellation = RingCancellation()
    /// Bytes on this worker's ring links over every generation.
    private let traffic = RingTraffic()
    /// What control said while the training thread waited for the ring thread, to be thrown on
    /// the training thread once the ring thread has left.
    private var interruption: Error?

    /// Control while the training thread waits for the ring thread: what `handleControl` throws
    /// is kept, and the generation is abandoned so the ring thread leaves at its next slice;
    /// `surfacingInterruption` then throws it instead of the ring's `abandoned`.
    private func controlWhileWaiting() {
        guard interruption == nil else { return }
        do { try handleControl() } catch {
            interruption = error
            cancellation.abandon(below: generation + 1)
        }
    }

    /// Runs `body`; when control interrupted a ring wait in it, throws that interruption (a new
    /// generation, a rejoin, a stop) rather than the error the abandoned ring left with.
    private func surfacingInterruption(_ body: () throws -> Void) throws {
        do { try body() } catch {
            guard let kept = interruption else { throw error }
            interruption = nil
            throw kept
        }
    }

    /// Heartbeats and what the coordinator said, between steps and while waiting for the ring: a
    /// new generation, a request to join again or a stop interrupt training; early stopping sets
    /// the last step. Runs on the training thread only.
    private func handleControl() throws {
        if let kept = interruption {
            // Said during a ring wait that then completed anyway: acted on at the step boundary.
            interruption = nil
            throw kept
        }
        try control.heartbeatIfDue()
        // What queued while this thread was busy (rank 0's validation pass takes seconds) is read
        // first: only silence after it means a lost coordinator. Judged before reading, a long
        // validation looked like 5 s of silence, and the worker rejoined as a new incarnation
        // and re-formed the ring at every epoch end.
        while let message = try control.receive(timeoutMilliseconds: 0) {
            switch message {
            case .stop(.finished(let after)): finishAfter = after
            case .stop(let reason): throw Interruption.stopped(reason)
            case .assignment(let a) where a.generation > generation: throw Interruption.reassigned(a)
            case .rejoin(let why): throw Interruption.rejoin(why)
            default: continue
            }
        }
        let silent = control.now() - control.lastHeard
        if silent > control.silenceLimit { throw Interruption.coordinatorLost(silent) }
    }

    /// The next assignment (after a join), answering `admitted` and `waiting` with patience.
    private func awaitAssignment(_ join: JoinRequest) throws -> Assignment {
        try awaitControl(what: "an assignment", seconds: 3_600) {
            switch $0 {
            case .assignment(let a) where a.generation > self.generation: return a
            case .refusal(let r): throw RuntimeError.refused("the coordinator refused this worker: \(r)")
            case .admitted(let a): self.say(a.waitsForStepBoundary ? "admitted; a rank comes at the next step boundary" : "admitted; waiting for the other workers"); return nil
            case .waiting(let have, let need): self.say("waiting for workers: \(have) of \(need)"); return nil
            default: return nil
            }
        }
    }

    /// Waits for the message `match` accepts; a newer assignment, a rejoin or a stop interrupts.
    private func awaitControl<T>(what: String, seconds: Double? = nil, _ match: @escaping (WireMessage) throws -> T?) throws -> T {
        try control.awaitMessage(what: what, seconds: seconds) { message in
            if let value = try match(message) { return value }
            switch message {
            case .assignment(let a) where a.generation > self.generation: throw Interruption.reassigned(a)
            case .rejoin(let why): throw Interruption.rejoin(why)
            case .stop(let reason): throw Interruption.stopped(reason)
            default: return nil
            }
        }
    }

    /// The local IP address this host uses to reach `endpoint` (tcp://host:port), found by
    /// connecting a UDP socket (which sends nothing).
    static func localAddress(towards endpoint: String) -> String? {
        let trimmed = endpoint.replacingOccurrences(of: "tcp://", with: "")
        guard let colon = trimmed.lastIndex(of: ":") else { return nil }
        let host = String(trimmed[..<colon]), port = UInt16(trimmed[trimmed.index(after: colon)...]) ?? 1
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { return nil }
        defer { freeaddrinfo(result) }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var address = local.sin_addr
        guard inet_ntop(AF_INET, &address, &text, socklen_t(INET_ADDRSTRLEN)) != nil else { return nil }
        return String(cString: text)
    }
}

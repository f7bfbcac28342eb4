import Checkpoints
import Checksums
import Coordination
import Dataset
import Dispatch
import Evaluation
import Foundation
import Logging
import Logs
import Model
import Status
import Signals
import Storage
import Training
import Transport
import Wire

/// The coordinator process: serves the run's settings and data, runs the rendezvous and
/// membership state machine (`CoordinatorState`), shows cluster progress, and consolidates the
/// result (model, history, metrics) in the run folder. It carries control only: gradients go
/// worker to worker.
public final class CoordinatorServer {
    public struct Options: Sendable {
        /// `HOST:PORT`; port 0 picks a free port (printed as "listening on tcp://...").
        public var listen = "127.0.0.1:5555"
        public var minWorkers = 1
        public var maxWorkers = 1
        public var maxEvaluators = 1
        /// Seconds without a heartbeat before a member is declared dead (workers send one a second).
        public var heartbeatTimeout = 4.0
        public var startupTimeout: Double? = 600
        /// How long training waits below `minWorkers` (after losses) before the run fails.
        public var belowMinimumTimeout: Double? = 300
        /// Continue the run in `config.out` from its newest intact checkpoint.
        public var resume = false
        /// Where `/status` and `/metrics` read from (nil: nobody is looking); updated every step.
        public var status: StatusBoard?
        /// A file to write one JSON line per completed step into (`StepLogEntry`); nil: none.
        public var stepLog: String?
        /// SIGTERM/SIGINT: the ranks finish a step or two, that state is consolidated into a
        /// checkpoint, every process is told, and `run` throws ``RuntimeError/suspended(_:)``.
        public var stop: StopSignal?
        /// Where the packed data served to workers is kept, by digest (`DataCache`'s layout, so a
        /// worker sharing the folder finds it there): runs reference it, none holds a copy.
        public var cacheFolder = DataCache.defaultFolder
        /// A model file every worker starts from instead of the seeded initialisation (a warm
        /// start, as `TrainingRun.initialWeights`: Adam starts afresh). Ignored when resuming.
        public var initialWeights: String?
        public init() {}
    }

    let config: TrainingConfig
    let options: Options
    let progress: ProgressReporter

    public init(config: TrainingConfig, options: Options, progress: ProgressReporter) {
        self.config = config
        self.options = options
        self.progress = progress
    }

    private var channel: ControlChannel!
    private var state: CoordinatorState!
    private var dataBytes: [UInt8] = []
    /// Uploads, agreement, the write queue, what is served, state transfers (pure: the shell carries out its directives).
    private var checkpoints = CheckpointLedger(stepsPerEpoch: 1)
    /// Epoch sums, rank 0's validations, best, patience, history (pure; saved in every checkpoint).
    private var ledger: ClusterLedger!
    /// The run finished, but rank 0's last checkpoint is still being pulled: the stop waits.
    private var finishing: (reason: StopReason, peers: [PeerID])?
    private var store: CheckpointStore!
    /// evaluations.jsonl as written so far.
    private var evaluationLog = ""
    /// Bulk chunks served per peer: one per request that makes progress, resends paced.
    private var pacing = ChunkPacing()
    private var lastHeartbeatSent = 0.0
    private var heartbeatSequence: UInt64 = 0
    private var lastLine = 0.0
    private var stepsPerEpoch = 1
    private var lastStepTime: Double?
    private var runFolder: String?
    private var provenance: Provenance?
    /// How the run ended, for provenance.json: `finish` sets it.
    private var outcome = "failed"
    private var stepLog: StepLogFile?
    /// The run folder's steps.jsonl and what goes into it.
    private var stepsFile: StepsFile?
    private var stepRecorder: StepRecorder?
    private var learningRates: LearningRateSchedule { LearningRateSchedule(config: config, stepsPerEpoch: stepsPerEpoch) }

    /// Runs until training finishes (returns) or fails (throws).
    public func run() throws {
        let config = try self.config.validated()
        let security = try ClusterSecurity.resolve(config, role: .coordinator)
        progress.log(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let folder: String, yaml: String
        if options.resume {
            folder = config.out
            yaml = String(decoding: try AtomicFile.read("\(folder)/config.yaml"), as: UTF8.self)
        } else {
            (folder, yaml) = try TrainingRun.prepareFolder(config, defaultFolder: TrainingRun.defaultFolder(config))
        }
        progress.log("run folder: \(folder)")
        if let path = options.stepLog { stepLog = try StepLogFile(path: path) }
        runFolder = folder
        store = CheckpointStore(runFolder: folder, keep: config.keepCheckpoints)
        if options.resume, FileManager.default.fileExists(atPath: "\(folder)/model.safetensors") {
            throw ConfigError.invalid(source: folder, problems: ["the run is complete (model.safetensors exists); nothing to resume"])
        }
        let dataset = try TrainingRun(config: config, progress: progress).loadData(config, folder: folder)
        dataBytes = try DataCache(folder: options.cacheFolder, log: { [progress] in progress.log($0) }).packed(dataset)
        let (train, validation) = TrainingRun.splits(config: config, dataset: dataset)
        stepsPerEpoch = (train.count + config.batchSize - 1) / config.batchSize
        checkpoints = CheckpointLedger(stepsPerEpoch: stepsPerEpoch)
        ledger = ClusterLedger(config: config, stepsPerEpoch: stepsPerEpoch)
        if options.resume { try prepareResume(folder: folder) }
        let totalSteps = config.epochs * stepsPerEpoch
        // steps.jsonl: cut back to the resumed checkpoint, so no step is recorded twice (steps a
        // restarted coordinator did not see live stay unrecorded).
        stepsFile = try StepsFile(folder: folder, keepingUpTo: options.resume ? checkpoints.servedOffer?.step ?? 0 : 0)
        stepRecorder = StepRecorder(totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
        progress.log("data: train \(train.classCounts), validation \(validation.classCounts), test \(dataset.test.classCounts); digest \(RunIdentity.dataDigest(dataset)); \(dataBytes.count) bytes to serve")
        // provenance.json: this start appended now, completed when the run ends (however it ends).
        provenance = try Provenance.begin(folder: folder, dataDigest: RunIdentity.dataDigest(dataset), data: config.data, configuration: yaml)
        defer { try? provenance!.ended(outcome).write(folder: folder) }

        let identity = RunIdentity.cluster(config: config, dataset: dataset)
        let settings = CoordinatorConfiguration(expected: identity, minWorkers: options.minWorkers, maxWorkers: options.maxWorkers,
                                                heartbeatTimeout: options.heartbeatTimeout,
                                                startupTimeout: options.startupTimeout, belowMinimumTimeout: options.belowMinimumTimeout,
                                                totalSteps: totalSteps, keyRoles: security.keyRoles, maxEvaluators: options.maxEvaluators)
        // Generations above any a previous life of this coordinator used (seconds since 2020, in
        // the upper bits): workers accept only newer generations, and ring frames carry them.
        let generationBase = UInt64(max(0, Date().timeIntervalSince1970 - 1_577_836_800)) << 20
        state = CoordinatorState(configuration: settings, now: now(), generationBase: generationBase)
        options.status?.update { $0.totalSteps = totalSteps; $0.epochs = config.epochs }
        if !options.resume, let initialWeights = options.initialWeights {
            try prepareWarmStart(from: initialWeights, config: config, yaml: yaml)
        }
        // Resuming or warm-starting, every worker loads the served checkpoint before its first step.
        let info = RunInfo(configuration: Array(yaml.utf8), dataBytes: UInt64(dataBytes.count), dataDigest: dataset.digest,
                           resume: checkpoints.servedOffer)

        let context = try ZMQContext()
        channel = try ControlChannel(context: context, router: true)
        channel.onBadFrame = { [progress] in progress.log("control: \($0)") }
        let zap = try security.secureServer(channel.socket, context: context, name: "control", log: { [progress] in progress.log($0) })
        defer { zap?.stop() }
        let listen = options.listen.hasSuffix(":0") ? String(options.listen.dropLast(2)) + ":*" : options.listen
        try channel.socket.bind(listen.hasPrefix("tcp://") ? listen : "tcp://\(listen)")
        let endpoint = try channel.socket.lastEndpoint()
        // The launcher and schedulers read this line.
        FileHandle.standardOutput.write(Data("coordinator listening on \(endpoint)\n".utf8))
        options.status?.update { $0.ready = true }
        progress.log("\(config.architecture.displayName): \(totalSteps) steps (\(config.epochs) epochs x \(stepsPerEpoch)), global batch \(config.batchSize); waiting for \(options.minWorkers) worker(s)")

        while true {
            if let (peer, header, message) = try channel.receive(timeoutMilliseconds: 100) {
                let id = PeerID(peer)
                switch message {
                case .runInfoRequest:
                    try channel.send(.runInfo(info), to: peer)
                case .dataRequest(let range):
                    guard pacing.allows(id, stream: -1, offset: range.offset, now: now()) else { continue }
                    try channel.send(.dataChunk(ByteChunk(of: dataBytes, step: 0, offset: range.offset,
                                                          length: min(range.length, ChunkPacing.maximumChunkBytes))), to: peer)
                case .join(var request):
                    request.publicKey = channel.lastSenderKey ?? "" // the authenticated key, not the claimed one
                    try carryOut(state.onJoin(peer: id, request: request, now: now()))
                case .heartbeat:
                    try carryOut(state.onHeartbeat(peer: id, now: now()))
                case .ready(let completed):
                    if let done = try carryOut(state.onReady(peer: id, generation: header.generation, completedSteps: completed, now: now())) {
                        return try finish(done, folder: folder, dataset: dataset)
                    }
                case .stepReport(let report):
                    if let done = try carryOut(state.onStepReport(peer: id, report: report, now: now())) {
                        return try finish(done, folder: folder, dataset: dataset)
                    }
                case .stepReplay(let report):
                    // Only a resumed coordinator takes steps it did not see live.
                    guard ledger.replayFrom < Int.max else { continue }
                    guard let node = state.nodeID(of: id) else { ignored("a step replay", from: id); continue }
                    try? writeHistory(ledger.onReplay(report, node: node), folder: folder)
                case .leave:
                    try carryOut(state.onLeave(peer: id, now: now()))
                case .evaluationResult(let result):
                    guard state.evaluatorPeers.contains(id) || state.rank(of: id) == 0 else {
                        ignored("an evaluation result", from: id)
                        continue
                    }
                    if let done = try carryOut(evaluated(result, from: id, folder: folder)) {
                        return try finish(done, folder: folder, dataset: dataset)
                    }
                case .checkpointOffer(let offer):
                    guard state.rank(of: id) != nil else { ignored("a checkpoint offer", from: id); continue }
                    try carryOut(checkpoints.onOffer(offer, from: id, now: now()))
                case .checkpointChunk(let chunk):
                    try carryOut(checkpoints.onChunk(chunk, from: id, now: now()))
                case .checkpointRequest(let range):
                    // The model is the run's to give: only to admitted workers and evaluators.
                    guard state.isAdmitted(id) else { ignored("a checkpoint request", from: id); continue }
                    guard pacing.allows(id, stream: range.step, offset: range.offset, now: now()),
                          let chunk = checkpoints.chunk(for: range) else { continue }
                    try? channel.send(.checkpointChunk(chunk), to: peer)
                default:
                    progress.log("control: unexpected \(message.kind) from a peer; ignored")
                }
            }
            if now() - lastHeartbeatSent >= 1 {
                // Heartbeats both ways: workers notice a dead coordinator as fast as it notices them.
                lastHeartbeatSent = now()
                heartbeatSequence += 1
                for p in state.memberPeers + state.pendingPeers + state.evaluatorPeers {
                    try? channel.send(.heartbeat(sequence: heartbeatSequence), to: p.bytes)
                }
            }
            try carryOut(checkpoints.onTick(now: now()))
            try pollWriter()
            if let (reason, peers) = finishing, !awaitsUpload(completedSteps: reason.completedSteps ?? 0) {
                for p in peers { try channel.send(.stop(reason), to: p.bytes) }
                return try finish(reason, folder: folder, dataset: dataset)
            }
            if let done = try suspendIfAsked(folder: folder) {
                return try finish(done, folder: folder, dataset: dataset)
            }
            if let done = try carryOut(state.onTick(now: now())) {
                return try finish(done, folder: folder, dataset: dataset)
            }
            options.status?.update { $0.take(state: state) }
        }
    }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    // MARK: Graceful stop

    /// Seconds a step takes lately (a moving average over the summaries).
    private var recentStepSeconds: Double?

    /// How many steps past the last one every rank reported a stop must name: the ranks run
    /// ahead of the reports that reach this loop, by as many steps as they run in half a second
    /// (a rank told too late would already be in the next step's all-reduce, waiting for ranks
    /// that stopped).
    private var stopMargin: Int { 2 + Int((0.5 / max(recentStepSeconds ?? 0.5, 1e-3)).rounded(.up)) }

    /// The signal that asked the run to stop, once it has been acted on.
    private var suspension: String?

    /// A stop signal, first seen: while the ring trains, its ranks are told to end after a step
    /// every one of them can still reach; that step's checkpoint is consolidated as usual, and
    /// the run then ends `.suspended` instead of finished (see ``carryOut(_:)``). With no ring
    /// training (waiting for workers), the newest checkpoint already holds every completed step,
    /// and the run ends at once.
    private func suspendIfAsked(folder: String) throws -> StopReason? {
        guard let request = options.stop?.request else { return nil }
        if suspension == nil {
            suspension = request.signal
            progress.log("\(request.signal): the ranks finish their step in flight, that state is consolidated into a checkpoint, then every process stops")
        }
        switch state.phase {
        case .training:
            if state.finishAfterStep == nil {
                let directives = state.onEarlyStop(request.signal, margin: stopMargin, now: now())
                if case .finishAfter(let step, _)? = directives.last, step + 1 >= config.epochs * stepsPerEpoch {
                    suspension = nil  // the run ends where it would have anyway: finished, not suspended
                    progress.log("\(request.signal): the run is about to finish; it finishes")
                }
                try carryOut(directives)
            }
            return nil
        case .forming:
            return nil  // the ring forms, then ends after its first steps
        case .waiting, .stopped:
            guard finishing == nil, checkpoints.writesDone else { return nil }
            let step = store.pointer("latest") ?? 0
            let reason = StopReason.suspended(step: step, why: request.signal)
            for p in state.memberPeers + state.pendingPeers + state.evaluatorPeers { try? channel.send(.stop(reason), to: p.bytes) }
            return reason
        }
    }

    /// Messages only admitted processes may send, from one that was not admitted (or not as the
    /// role the message needs): dropped, and logged at most a few times a minute.
    private func ignored(_ what: String, from peer: PeerID) {
        let t = now()
        if t - ignoredWindow.start >= 60 {
            if ignoredWindow.unlogged > 0 { progress.log("warning: \(ignoredWindow.unlogged) more message(s) from unadmitted peers ignored in the last minute") }
            ignoredWindow = (t, 0, 0)
        }
        if ignoredWindow.logged < 5 {
            ignoredWindow.logged += 1
            progress.log("warning: ignored \(what) from \(peer), which is not an admitted process allowed to send it")
        } else {
            ignoredWindow.unlogged += 1
        }
    }
    private var ignoredWindow: (start: Double, logged: Int, unlogged: Int) = (-.infinity, 0, 0)

    /// Carries out the state machine's directives; returns the stop reason when the run ends.
    @discardableResult
    private func carryOut(_ directives: [CoordinatorDirective]) throws -> StopReason? {
        var stop: StopReason?
        for d in directives {
            switch d {
            case .admit(let peer, let admission):
                try channel.send(.admitted(admission), to: peer.bytes)
                if admission.role == .evaluator, let offer = checkpoints.servedOffer {
                    try channel.send(.checkpointOffer(offer), to: peer.bytes)
                }
            case .refuse(let peer, let refusal):  // logged by the state, at most a few lines a window
                try channel.send(.refusal(refusal), to: peer.bytes)
            case .assign(let peer, let assignment):
                try channel.send(.assignment(assignment), generation: assignment.generation, to: peer.bytes)
            case .startTraining(let start, let peers):
                ProcessLabels.shared.update { $0.generation = start.generation }
                progress.log("generation \(start.generation): \(peers.count) worker(s) start at step \(start.startStep + 1)")
                if let source = start.stateSource, !start.needsState.isEmpty {
                    checkpoints.onTransfer(step: start.startStep, to: start.needsState.map { peers[$0] })
                    progress.log("rank \(source) sends its state (step \(start.startStep)) to ranks \(start.needsState) through the coordinator")
                }
                for p in peers { try channel.send(.start(start), generation: start.generation, to: p.bytes) }
            case .rejoin(let peer):
                try channel.send(.rejoin(reason: "unknown peer; join again"), to: peer.bytes)
            case .log(let level, let text):
                progress.log(level.loggerLevel, text)
            case .memberDead(let rank, let nodeID, let host, let peer, let reason):
                checkpoints.onPeerGone(peer)
                progress.log(.warning, "worker rank \(rank) (\(nodeID) on \(host)) is dead: \(reason)")
            case .progress(let summary):
                record(summary)
            case .weightsAgree(_, let step, let checksum):
                try carryOut(checkpoints.onWeightsAgree(step: step + 1, checksum: checksum))
            case .finishAfter(let step, let peers):
                ledger.finishAfter(step)
                for p in peers { try channel.send(.stop(.finished(step: step)), to: p.bytes) }
            case .waitingForWorkers(let have, let need):
                progress.log("waiting for workers: \(have) of \(need)")
                // The admitted workers hear it too ("waiting for workers: 1 of 2" in their log).
                for p in state.memberPeers + state.pendingPeers { try? channel.send(.waiting(have: have, need: need), to: p.bytes) }
            case .stop(var reason, let peers):
                if case .finished(let step) = reason, let suspension { reason = .suspended(step: step + 1, why: suspension) }
                if case .suspended(let completed, _) = reason, awaitsUpload(completedSteps: completed) {
                    // Rank 0 must stay until the coordinator has pulled its last checkpoint.
                    finishing = (reason, peers)
                    progress.log("stopping: waiting for rank 0's checkpoint of step \(completed)")
                    continue
                }
                if case .finished(let step) = reason, awaitsUpload(completedSteps: step + 1) {
                    // Rank 0 must stay until the coordinator has pulled its last checkpoint.
                    finishing = (reason, peers)
                    progress.log("finishing: waiting for rank 0's checkpoint of step \(step + 1)")
                    continue
                }
                for p in peers { try channel.send(.stop(reason), to: p.bytes) }
                stop = reason
            }
        }
        return stop
    }

    private func record(_ s: StepSummary) {
        let t = now()
        let seconds = lastStepTime.map { t - $0 } ?? 0
        lastStepTime = t
        options.status?.update { $0.take(summary: s, stepSeconds: seconds > 0 ? seconds : nil) }
        if let stepLog, let problem = stepLog.append(StepLogEntry(summary: s, time: Date().timeIntervalSince1970)) {
            progress.log("warning: step log: \(problem); no more lines are written")
            self.stepLog = nil
        }
        if let stepsFile, let r = stepRecorder?.add(step: s.step + 1, epoch: s.epoch + 1, samples: s.samples,
                                                    lossSum: s.meanLoss * Double(s.samples), correct: s.meanAccuracy * Double(s.samples),
                                                    seconds: Double(s.samples) / max(s.imagesPerSecond, 1e-9),
                                                    learningRate: Double(learningRates.rate(at: s.step)), time: Date().timeIntervalSince1970),
           let problem = stepsFile.append(r) {
            progress.log("warning: \(problem)")
        }
        if seconds > 0 { recentStepSeconds = recentStepSeconds.map { 0.9 * $0 + 0.1 * seconds } ?? seconds }
        let closed = ledger.onSummary(s, seconds: seconds)
        let e = ledger.summarisedEpoch
        let inEpoch = s.step % stepsPerEpoch + 1
        if let folder = runFolder { try? writeHistory(closed, folder: folder) }
        if progress.isTerminal || t - lastLine >= 1 || inEpoch == stepsPerEpoch {
            lastLine = t
            let ranks = s.perRank.map { String(format: "r%d %.0f/%.0f ms", $0.rank, $0.computeSeconds * 1e3, $0.allReduceWaitSeconds * 1e3) }
            // Each rank's link to its successor: how long it carried data this step (TCP busy time).
            let links = s.perRank.count > 1 && s.perRank.contains { $0.ringSendBusySeconds != nil }
                ? " | ring send busy " + s.perRank.map { t in
                    "r\(t.rank)>r\((t.rank + 1) % s.perRank.count) " + (t.ringSendBusySeconds.map { String(format: "%.0f ms", $0 * 1e3) } ?? "?")
                }.joined(separator: ", ")
                : ""
            progress.step(epoch: s.epoch + 1, epochs: config.epochs, step: inEpoch, steps: stepsPerEpoch, loss: e.meanLoss,
                          accuracy: e.accuracy, imagesPerSecond: s.imagesPerSecond,
                          etaSeconds: Double(stepsPerEpoch - inEpoch) * Double(config.batchSize) / max(s.imagesPerSecond, 1e-9),
                          suffix: "| compute/wait \(ranks.joined(separator: ", "))\(links) | slowest r\(s.slowestRank)")
        }
    }

    // MARK: Checkpoints

    /// Resuming: the newest intact checkpoint becomes the one served to workers, and the run's
    /// bookkeeping continues from what it recorded (a checkpoint of an earlier version recorded
    /// none: then from history.jsonl and rank 0's lines in evaluations.jsonl). evaluations.jsonl
    /// is cut back to it.
    private func prepareResume(folder: String) throws {
        let (checkpoint, bytes, path) = try store.loadNewestIntact(log: { [progress] in progress.log($0) })
        let state = checkpoint.state
        checkpoints.serve(step: state.step, bytes: bytes)
        var validations: [(step: Int, value: Double?)] = []
        for line in (try? String(decoding: AtomicFile.read("\(folder)/evaluations.jsonl"), as: UTF8.self))?.split(separator: "\n") ?? [] {
            guard let record = EvaluationRecord(jsonLine: line), record.step <= state.step else { continue }
            evaluationLog += line + "\n"
            if record.source == .rank0 { validations.append((record.step, record.validation.flatMap { ledger.best.metric.value(of: $0) })) }
        }
        if RunLedger.hasHistory(state.progress) {
            do { try ledger.resume(step: state.step, progress: state.progress) } catch { throw CheckpointError.damaged(path, error.detail) }
        } else {
            ledger.resume(step: state.step, history: try EpochRecord.readHistory("\(folder)/history.jsonl"), validations: validations)
        }
        progress.log("resuming from \(path): step \(state.step) (epoch \(state.epoch + 1), step \(state.stepInEpoch + 1)); best so far: \(ledger.best.summary)")
    }

    /// A warm start: the weights of the model file at `path` with a fresh Adam, served as the
    /// checkpoint of step 0, which every worker loads as it would a resumed run's.
    private func prepareWarmStart(from path: String, config: TrainingConfig, yaml: String) throws {
        let network = Network(architecture: config.architecture, maxBatch: 1)
        try network.loadModelFile(AtomicFile.read(path), source: path)
        let state = TrainingState(step: 0, stepsPerEpoch: stepsPerEpoch, adamStep: 0, seed: config.seed, worldSize: options.maxWorkers,
                                  configuration: yaml, progress: ["warm_start": path])
        checkpoints.serve(step: 0, bytes: Checkpoint(network: network, adam: Adam(parameterCount: network.layout.count), state: state).encode())
        progress.log("warm start: every worker starts from the weights of \(path)")
    }

    /// Whether the checkpoint after `completedSteps` is still to be written and on its way.
    private func awaitsUpload(completedSteps: Int) -> Bool {
        checkpoints.awaits(completedSteps: completedSteps, latest: store.pointer("latest"))
    }

    /// Carries out the checkpoint ledger's directives: the sockets, the verification of an
    /// upload's content, the writer thread and the run folder's pointers.
    private func carryOut(_ directives: [CheckpointLedger.Directive]) throws {
        for d in directives {
            switch d {
            case .request(let peer, let range):
                try? channel.send(.checkpointRequest(range), to: peer.bytes)
            case .uploadProgress(let peer, let step, let received, let total, let rate):
                progress.log(String(format: "upload of step %d from rank %@: %.1f of %.1f MB (%.1f MB/s)", step,
                                    state.rank(of: peer).map(String.init) ?? "?", Double(received) / 1e6, Double(total) / 1e6, rate / 1e6))
            case .offer(let offer, let peers):
                for p in peers { try? channel.send(.checkpointOffer(offer), to: p.bytes) }
            case .verify(let step, let bytes, let agreedChecksum):
                if let verified = verify(step: step, bytes: bytes, agreedChecksum: agreedChecksum) {
                    try carryOut(checkpoints.onVerified(step: step, bytes: verified))
                }
            case .write(let step, let bytes):
                // Writing and syncing 100 MB takes seconds on a busy disk: a thread does it while
                // this loop goes on heartbeating. Silent for the workers' deadline, the loop would
                // be taken for dead and the ring re-formed.
                writer.start { [store] in try store!.writeFile(bytes, step: step) }
            case .awaitWriter(let step):
                try writer.wait()
                try carryOut(checkpoints.onWritten(step: step))
            case .written(let offer):
                try committed(offer)
            case .log(let level, let text):
                progress.log(level.loggerLevel, text)
            }
        }
    }

    /// Rank 0's upload of the state every rank agreed on (its digest checked on arrival, once):
    /// the weights checksum its header records must be the agreed one; then it is given the
    /// run's bookkeeping as of its step (so a resumed coordinator continues it). Nothing is
    /// decoded but the header: whoever loads the checkpoint (an evaluator, a resumed run)
    /// decodes and verifies it whole. Nil, and logged, when it does not hold the agreed weights.
    private func verify(step: Int, bytes: [UInt8], agreedChecksum: UInt64) -> [UInt8]? {
        let source = "rank 0's checkpoint for step \(step)"
        do {
            let recorded = try Checkpoint.recordedWeightsChecksum(in: bytes, source: source)
            guard recorded == agreedChecksum else {
                progress.log("error: \(source) has weights \(Hex.string(recorded)), the ranks agreed on \(Hex.string(agreedChecksum)); not written")
                return nil
            }
            return try Checkpoint.settingProgress(ledger.progress(after: step), in: bytes, source: source)
        } catch {
            progress.log("error: \(error); not written")
            return nil
        }
    }

    /// The checkpoint being written by `writer`, which writes one at a time.
    private let writer = DedicatedThread(name: "cifake checkpoint writer")

    /// Once the writer is done (or, `blocking`, after waiting for it), tells the ledger, which
    /// starts the next queued write.
    private func pollWriter(blocking: Bool = false) throws {
        guard let step = checkpoints.writingStep else { return }
        if blocking { try writer.wait() } else if !(try writer.poll()) { return }
        try carryOut(checkpoints.onWritten(step: step))
    }

    /// Waits until every consolidated checkpoint is written (the run is ending).
    private func drainWrites() throws {
        while checkpoints.writingStep != nil { try pollWriter(blocking: true) }
    }

    /// A checkpoint is on disk: `latest` (and `best`, by the validations known now) point at it,
    /// and the evaluators are offered it.
    private func committed(_ offer: CheckpointOffer) throws {
        let step = offer.step
        // Checkpoints are written in step order: an older best without a file never gets one.
        while let best = ledger.best.bestStep, best < step, !FileManager.default.fileExists(atPath: store.path(step: best)) {
            ledger.forget(step: best)
            if let again = ledger.best.bestStep, again != step { try store.markBest(step: again) }
        }
        let path = try store.commit(step: step, isBest: ledger.best.bestStep == step)
        options.status?.update { $0.checkpointsTotal += 1 }
        if step % stepsPerEpoch == 0 || step == config.epochs * stepsPerEpoch { progress.log("checkpoint: \(path) (all ranks agree)") }
        try carryOut(state.onCheckpointWritten(step: step, now: now()).filter { if case .log = $0 { false } else { true } })
        for p in state.evaluatorPeers { try channel.send(.checkpointOffer(offer), to: p.bytes) }
    }

    /// An evaluation of a checkpoint (rank 0's validation at an epoch end, or an evaluator's):
    /// logged and recorded in evaluations.jsonl. Rank 0's choose the kept model and count for
    /// early stopping (``ClusterLedger``); the evaluator's scores are reported beside them.
    private func evaluated(_ result: EvaluationResult, from peer: PeerID, folder: String) throws -> [CoordinatorDirective] {
        let record: EvaluationRecord
        if state.evaluatorPeers.contains(peer) {
            record = EvaluationRecord(result, source: .evaluator, stepsPerEpoch: stepsPerEpoch)
            let parts = [("val_accuracy", result.validation?.accuracy), ("val_f1", result.validation?.f1),
                         ("test_accuracy", result.test?.accuracy), ("test_f1", result.test?.f1)]
                .compactMap { (name, value) in value.map { String(format: "%@ %.4f", name, $0) } }
            progress.log("evaluator: step \(result.step): \(parts.joined(separator: ", "))")
        } else {
            let (improved, closed) = ledger.onValidation(result)
            record = EvaluationRecord(result, source: .rank0, stepsPerEpoch: stepsPerEpoch, best: result.epoch == nil ? nil : improved ?? false)
            try writeHistory(closed, folder: folder)
            if improved == true { try store.markBest(step: result.step) }
        }
        options.status?.update {
            $0.take(evaluation: result)
            $0.evaluationsTotal += 1
        }
        evaluationLog += record.jsonLine + "\n"
        try AtomicFile.write(evaluationLog, to: "\(folder)/evaluations.jsonl")
        if ledger.shouldStop {
            return state.onEarlyStop("no better \(ledger.best.metric.validationName) in \(ledger.best.epochsWithoutImprovement) epochs",
                                     margin: stopMargin, now: now())
        }
        return []
    }

    // MARK: History and the end of the run

    /// Logs the epochs just closed and writes history.jsonl (when there are any, or `always`).
    private func writeHistory(_ closed: [EpochRecord], folder: String, always: Bool = false) throws {
        for record in closed {
            progress.log(String(format: "epoch %d/%d: loss %.4f acc %.4f | val acc %@ | %.1f s", record.epoch, config.epochs, record.trainLoss,
                                record.trainAccuracy, record.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-", record.seconds))
        }
        guard always || !closed.isEmpty else { return }
        try EpochRecord.writeHistory(ledger.history, to: "\(folder)/history.jsonl")
    }

    private func finish(_ reason: StopReason, folder: String, dataset: CIFAKEDataset) throws {
        if case .suspended(let step, let why) = reason {
            try drainWrites()
            try writeHistory([], folder: folder, always: true)
            let latest = store.pointer("latest")
            outcome = "stopped"
            progress.log("stopped by \(why) after step \(step): final checkpoint \(latest.map { store.path(step: $0) } ?? "none (no step completed)"); continue with: cifake coordinator --resume \(folder) (or cifake train --resume \(folder) --workers N)")
            throw RuntimeError.suspended("coordinator: \(reason)")
        }
        guard case .finished = reason else { throw RuntimeError.stopped(reason.description) }
        try drainWrites()
        try writeHistory(ledger.finish(), folder: folder, always: true)
        // The kept model: the best evaluated checkpoint, else the last one.
        let keptStep = store.pointer("best") ?? store.pointer("latest")
        guard let keptStep, let bytes = try? AtomicFile.read(store.path(step: keptStep)) else {
            throw RuntimeError.protocolViolation("training finished but no consolidated checkpoint was written in \(store.folder)")
        }
        let kept = try Checkpoint.decode(bytes, source: store.path(step: keptStep))
        var metadata = ["epochs_run": String(kept.state.epoch)]
        if let provenance { metadata[Provenance.metadataKey] = provenance.summary.compactJSON }
        if let method = kept.state.progress["gradient_compression"] {
            metadata["gradient_compression"] = method
            progress.log("the kept checkpoint was trained with \(method)")
        }
        let modelBytes = kept.modelFileBytes(metadata: metadata)
        let network = Network(architecture: kept.architecture, maxBatch: 256, threads: max(1, config.threads))
        try network.loadModelFile(modelBytes, source: "kept model")
        var extra: [String: Any] = [
            "kept_step": keptStep, "steps_per_epoch": stepsPerEpoch, "best_metric": ledger.best.metric.validationName,
            "epochs_run": ledger.history.count, "workers": options.maxWorkers,
        ]
        // The kept checkpoint closes an epoch (rank 0's validations), or lies inside one (the
        // evaluator's): the report names the epoch, or the step.
        if keptStep % stepsPerEpoch == 0 { extra["best_epoch"] = keptStep / stepsPerEpoch }
        let report = try RunOutputs.writeModel(modelBytes, testProbabilities: Trainer.predict(dataset.test, with: network),
                                               architecture: kept.architecture, dataset: dataset, folder: folder, extra: extra)
        outcome = "finished"
        progress.log("\(reason); kept the checkpoint of step \(keptStep) (\(ledger.best.summary)); test split:")
        progress.log(report.table())
        progress.log("written: \(folder)/model.safetensors, metrics.json, history.jsonl, evaluations.jsonl, checkpoints/")
        _ = RunOutputs.writeReport(folder: folder, test: dataset.test, threads: max(1, config.threads), progress: progress)
    }
}

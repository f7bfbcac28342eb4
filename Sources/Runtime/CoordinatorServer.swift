import Coordination
import Data
import Dispatch
import Evaluation
import Foundation
import Model
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
        public var heartbeatTimeout = 10.0
        public var startupTimeout: Double? = 600
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
    private var model: (offer: CheckpointOffer, bytes: [UInt8])?
    private var epochs: [Int: (loss: Double, correct: Double, samples: Int, seconds: Double, steps: Int)] = [:]
    private var validations: [Int: [String: Any]] = [:]
    private var history = ""
    private var lastLine = 0.0
    private var stepsPerEpoch = 1
    private var lastStepTime: Double?
    private var runFolder: String?

    /// Runs until training finishes (returns) or fails (throws).
    public func run() throws {
        let config = try self.config.validated()
        let security = try ClusterSecurity.resolve(config, role: .coordinator)
        progress.log(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let (folder, yaml) = try TrainingRun.prepareFolder(config, defaultFolder: "runs/cluster-\(Int(Date().timeIntervalSince1970))")
        progress.log("run folder: \(folder)")
        runFolder = folder
        let dataset = try TrainingRun(config: config, progress: progress).loadData(config, folder: folder)
        let packed = "\(folder)/data.cifakepk"
        try PackedDataset.write(dataset, to: packed)
        dataBytes = try AtomicFile.read(packed)
        let (train, validation) = TrainingRun.splits(config: config, dataset: dataset)
        stepsPerEpoch = (train.count + config.batchSize - 1) / config.batchSize
        let totalSteps = config.epochs * stepsPerEpoch
        progress.log("data: train \(train.classCounts), validation \(validation.classCounts), test \(dataset.test.classCounts); digest \(RunIdentity.dataDigest(dataset)); \(dataBytes.count) bytes to serve")

        let identity = RunIdentity.cluster(config: config, dataset: dataset)
        let settings = CoordinatorConfiguration(expected: identity, minWorkers: options.minWorkers, maxWorkers: options.maxWorkers,
                                                heartbeatTimeout: options.heartbeatTimeout, checksumEvery: 25,
                                                startupTimeout: options.startupTimeout, totalSteps: totalSteps)
        state = CoordinatorState(configuration: settings, now: now())
        let info = RunInfo(configuration: Array(yaml.utf8), dataBytes: UInt64(dataBytes.count), dataDigest: dataset.digest)

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
        progress.log("\(config.architecture.displayName): \(totalSteps) steps (\(config.epochs) epochs x \(stepsPerEpoch)), global batch \(config.batchSize); waiting for \(options.minWorkers) worker(s)")

        while true {
            if let (peer, header, message) = try channel.receive(timeoutMilliseconds: 100) {
                let id = PeerID(peer)
                switch message {
                case .runInfoRequest:
                    try channel.send(.runInfo(info), to: peer)
                case .dataRequest(let range):
                    let begin = Int(min(range.offset, UInt64(dataBytes.count)))
                    let end = min(begin + range.length, dataBytes.count)
                    try channel.send(.dataChunk(ByteChunk(step: 0, offset: UInt64(begin), total: UInt64(dataBytes.count),
                                                          bytes: Array(dataBytes[begin..<end]))), to: peer)
                case .join(var request):
                    request.publicKey = channel.lastSenderKey ?? "" // the authenticated key, not the claimed one
                    progress.log("join from \(request.nodeID) at \(request.host) (\(request.computeThreads) threads)")
                    try carryOut(state.onJoin(peer: id, request: request, now: now()))
                case .heartbeat:
                    try carryOut(state.onHeartbeat(peer: id, now: now()))
                case .ready(let completed):
                    try carryOut(state.onReady(peer: id, generation: header.generation, completedSteps: completed, now: now()))
                case .stepReport(let report):
                    if let done = try carryOut(state.onStepReport(peer: id, report: report, now: now())) {
                        return try finish(done, folder: folder, dataset: dataset)
                    }
                case .leave:
                    try carryOut(state.onLeave(peer: id, now: now()))
                case .evaluationResult(let result):
                    if let object = try? JSONSerialization.jsonObject(with: Data(result.json)) as? [String: Any], let epoch = object["epoch"] as? Int {
                        validations[epoch] = object
                        try writeEpochRecords(folder: folder)
                    }
                case .checkpointOffer(let offer):
                    model = (offer, [])
                case .checkpointChunk(let chunk):
                    guard var m = model, chunk.offset == UInt64(m.bytes.count) else {
                        progress.log("control: model chunk at offset \(chunk.offset) out of order; ignored")
                        continue
                    }
                    m.bytes += chunk.bytes
                    model = m
                default:
                    progress.log("control: unexpected \(message.kind) from a peer; ignored")
                }
            }
            if let done = try carryOut(state.onTick(now: now())) {
                return try finish(done, folder: folder, dataset: dataset)
            }
        }
    }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Carries out the state machine's directives; returns the stop reason when the run ends.
    @discardableResult
    private func carryOut(_ directives: [CoordinatorDirective]) throws -> StopReason? {
        var stop: StopReason?
        for d in directives {
            switch d {
            case .admit(let peer, let admission):
                try channel.send(.admitted(admission), to: peer.bytes)
            case .refuse(let peer, let refusal):
                progress.log("refused a join: \(refusal)")
                try channel.send(.refusal(refusal), to: peer.bytes)
            case .assign(let peer, let assignment):
                try channel.send(.assignment(assignment), generation: assignment.generation, to: peer.bytes)
            case .startTraining(let start, let peers):
                progress.log("generation \(start.generation): \(peers.count) worker(s) start at step \(start.startStep)")
                for p in peers { try channel.send(.start(start), generation: start.generation, to: p.bytes) }
            case .rejoin(let peer):
                try channel.send(.rejoin(reason: "unknown peer; join again"), to: peer.bytes)
            case .log(let level, let text):
                progress.log("\(level): \(text)")
            case .memberDead(let rank, let nodeID, let host, _, let reason):
                progress.log("worker rank \(rank) (\(nodeID) on \(host)) is dead: \(reason)")
            case .progress(let summary):
                record(summary)
            case .weightsAgree:
                break
            case .waitingForWorkers(let have, let need):
                progress.log("waiting for workers: \(have) of \(need)")
            case .stop(let reason, let peers):
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
        var e = epochs[s.epoch] ?? (0, 0, 0, 0, 0)
        e.loss += s.meanLoss * Double(s.samples)
        e.correct += s.meanAccuracy * Double(s.samples)
        e.samples += s.samples
        e.seconds += seconds
        e.steps += 1
        epochs[s.epoch] = e
        let inEpoch = s.step % stepsPerEpoch + 1
        if inEpoch == stepsPerEpoch, let folder = runFolder { try? writeEpochRecords(folder: folder) }
        if progress.isTerminal || t - lastLine >= 1 || inEpoch == stepsPerEpoch {
            lastLine = t
            let ranks = s.perRank.map { String(format: "r%d %.0f/%.0f ms", $0.rank, $0.computeSeconds * 1e3, $0.allReduceWaitSeconds * 1e3) }
            progress.step(epoch: s.epoch + 1, epochs: config.epochs, step: inEpoch, steps: stepsPerEpoch, loss: e.loss / Double(e.samples),
                          accuracy: e.correct / Double(e.samples), imagesPerSecond: s.imagesPerSecond,
                          etaSeconds: Double(stepsPerEpoch - inEpoch) * Double(config.batchSize) / max(s.imagesPerSecond, 1e-9),
                          suffix: "| compute/wait \(ranks.joined(separator: ", ")) | slowest r\(s.slowestRank)")
        }
    }

    /// Appends the finished epochs to history.jsonl (each once its validation, if any, arrived).
    private func writeEpochRecords(folder: String) throws {
        let written = history.split(separator: "\n").count
        var epoch = written
        while let e = epochs[epoch], e.steps == stepsPerEpoch, (config.validationFraction == 0 || validations[epoch + 1] != nil) {
            let v = validations[epoch + 1]
            let record = EpochRecord(epoch: epoch + 1, trainLoss: e.loss / Double(e.samples), trainAccuracy: e.correct / Double(e.samples),
                                     validationLoss: v?["val_loss"] as? Double, validationAccuracy: v?["val_accuracy"] as? Double,
                                     testAccuracy: nil,
                                     learningRate: Double(LearningRateSchedule(config: config, stepsPerEpoch: stepsPerEpoch)
                                         .rate(at: (epoch + 1) * stepsPerEpoch - 1)),
                                     seconds: e.seconds,
                                     imagesPerSecond: Double(e.samples) / max(e.seconds, 1e-9), best: v?["best"] as? Bool ?? true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            history += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
            progress.log(String(format: "epoch %d/%d: loss %.4f acc %.4f | val acc %@ | %.1f s", epoch + 1, config.epochs, record.trainLoss,
                                record.trainAccuracy, record.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-", record.seconds))
            epoch += 1
        }
        try AtomicFile.write(history, to: "\(folder)/history.jsonl")
    }

    private func finish(_ reason: StopReason, folder: String, dataset: CIFAKEDataset) throws {
        guard case .finished = reason else { throw RuntimeError.stopped(reason.description) }
        try writeEpochRecords(folder: folder)
        guard let model, UInt64(model.bytes.count) == model.offer.totalBytes, WireChecksum.fnv1a64(model.bytes) == model.offer.checksum else {
            throw RuntimeError.protocolViolation("training finished but rank 0's model upload is missing or damaged")
        }
        try AtomicFile.write(model.bytes, to: "\(folder)/model.safetensors")
        let (architecture, _) = try Network.architecture(ofModelFile: model.bytes, source: "uploaded model")
        let network = Network(architecture: architecture, maxBatch: 256, threads: max(1, config.threads))
        try network.loadModelFile(model.bytes, source: "uploaded model")
        let report = try ClassificationReport(probabilities: Trainer.predict(dataset.test, with: network), labels: dataset.test.labels)
        try MetricsFile.write(report, to: "\(folder)/metrics.json", extra: [
            "model": architecture.modelName, "dense": architecture.hiddenWidth, "architecture": architecture.displayName,
            "epochs_run": config.epochs, "data": dataset.root, "test_origin": "\(dataset.testOrigin)", "workers": options.maxWorkers,
        ])
        progress.log("\(reason); test split:")
        progress.log(report.table())
        progress.log("written: \(folder)/model.safetensors, metrics.json, history.jsonl")
    }
}

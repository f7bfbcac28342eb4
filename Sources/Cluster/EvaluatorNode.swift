import Checkpoints
import Coordination
import Dataset
import Dispatch
import Evaluation
import Foundation
import Model
import Status
import Training
import Transport
import Wire

/// The evaluation worker: joins as its own role, is told of every consolidated checkpoint,
/// fetches it over the control channel (no shared file system), scores it on the validation
/// hold-out and the test split, and reports the metrics. It never slows the workers: it is not
/// on the ring, and when several checkpoints arrive while it is busy it skips to the newest.
public final class EvaluatorNode {
    public struct Options: Sendable {
        public var coordinator: String
        public var dataPath: String?
        /// Its own configuration: CURVE keys, and settings checked against the coordinator's.
        public var configPath: String?
        public var threads = 1
        public var cacheFolder = DataCache.defaultFolder
        public var controlTimeoutSeconds = 60.0
        public var nodeID = "evaluator-" + ProcessInfo.processInfo.hostName + "-\(getpid())"
        /// Where `/status` and `/metrics` read from (nil: nobody is looking).
        public var status: StatusBoard?
        public init(coordinator: String) { self.coordinator = coordinator }
    }

    let options: Options
    let say: (String) -> Void

    public init(options: Options, log: @escaping (String) -> Void) {
        self.options = options
        self.say = log
    }

    public func run() throws {
        let security = try ClusterSecurity.forWorker(configPath: options.configPath)
        say(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let context = try ZMQContext()
        let control = try CoordinatorClient(context: context, coordinator: options.coordinator,
                                            timeoutSeconds: options.controlTimeoutSeconds, log: say, security: security)
        let (_, config, dataset) = try control.obtainRun(configPath: options.configPath, dataPath: options.dataPath, threads: options.threads,
                                                         cacheFolder: options.cacheFolder)
        let (_, validation) = TrainingRun.splits(config: config, dataset: dataset)
        let identity = RunIdentity.cluster(config: config, dataset: dataset)
        let host = WorkerNode.localAddress(towards: control.endpoint) ?? "127.0.0.1"
        let join = JoinRequest(role: .evaluator, version: identity.version, configDigest: identity.configDigest,
                                           architectureDigest: identity.architectureDigest, parameterCount: identity.parameterCount,
                                           dataDigest: identity.dataDigest, host: host, ringEndpoint: "",
                                           computeThreads: options.threads, nodeID: options.nodeID,
                                           incarnation: UInt64(Date().timeIntervalSince1970 * 1e6),
                                           publicKey: security.keys?.publicKey ?? "")
        try control.send(.join(join))
        _ = try control.awaitMessage(what: "admission") { message -> Bool? in
            switch message {
            case .admitted: return true
            case .refusal(let r): throw RuntimeError.refused("the coordinator refused this evaluator: \(r)")
            default: return nil
            }
        }
        options.status?.update {
            $0.phase = "waiting"
            $0.ready = true
        }
        say("evaluator admitted: validation \(validation.count) images, test \(dataset.test.count) images, \(options.threads) threads")

        let network = Network(architecture: config.architecture, maxBatch: 256, threads: options.threads)
        var newest: CheckpointOffer?
        var evaluated: Int?
        while true {
            // Take every pending message; keep only the newest offer.
            try control.heartbeatIfDue()
            while let message = try control.receive(timeoutMilliseconds: newest == nil ? 250 : 0) {
                switch message {
                case .checkpointOffer(let o) where o.step > (newest?.step ?? -1): newest = o
                case .stop(let reason):
                    options.status?.update { $0.phase = "stopped"; $0.ready = false }
                    say("done: \(reason)")
                    return
                case .rejoin(let why):
                    // A restarted coordinator: join again; it offers its newest checkpoint.
                    say("joining again: \(why)")
                    try control.send(.join(join))
                default: break
                }
            }
            guard let offer = newest, offer.step != evaluated else {
                newest = nil
                continue
            }
            var moved: CheckpointOffer?
            let fetched: [UInt8]?
            do { fetched = try control.fetchCheckpoint(offer, newer: { moved = $0 }) } catch RuntimeError.stopped(let reason) {
                // The run ended while this checkpoint was on its way: nothing left to score.
                say("done: \(reason)")
                return
            }
            guard let bytes = fetched else {
                say("checkpoint of step \(offer.step) was superseded while fetching; skipping to step \(moved?.step ?? -1)")
                newest = nil  // the coordinator re-offers its newest checkpoint
                if let moved, moved.checksum != 0 { newest = moved }
                continue
            }
            options.status?.update {
                $0.evaluator?.checkpointsFetchedTotal += 1
                $0.phase = "evaluating"
            }
            let began = DispatchTime.now().uptimeNanoseconds
            let checkpoint = try Checkpoint.decode(bytes, source: "checkpoint of step \(offer.step)")
            checkpoint.parameters.withUnsafeBufferPointer { network.parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
            var scoresOfValidation: EvaluationResult.Scores?
            if validation.count > 0 {
                let v = try ClassificationReport(probabilities: Trainer.predict(validation, with: network, afterEachBatch: control.heartbeatIfDue), labels: validation.labels)
                scoresOfValidation = EvaluationResult.Scores(v)
            }
            let t = try ClassificationReport(probabilities: Trainer.predict(dataset.test, with: network, afterEachBatch: control.heartbeatIfDue), labels: dataset.test.labels)
            try control.send(.evaluationResult(EvaluationResult(step: offer.step, validation: scoresOfValidation, test: EvaluationResult.Scores(t))))
            evaluated = offer.step
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            options.status?.update {
                $0.take(evaluationOf: offer.step, accuracy: t.accuracy, loss: t.logLoss, auc: t.rocAUC, seconds: seconds)
                $0.phase = "waiting"
            }
            say(String(format: "step %d: test accuracy %.4f, F1 %.4f (%.1f s)", offer.step, t.accuracy, t.f1, seconds))
        }
    }
}

extension EvaluationResult.Scores {
    /// A classification report's scores as they travel.
    init(_ report: ClassificationReport) {
        self.init(loss: report.logLoss, accuracy: report.accuracy, f1: report.f1, auc: report.rocAUC)
    }
}

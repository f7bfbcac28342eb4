import Checkpoints
import Coordination
import Data
import Dispatch
import Evaluation
import Foundation
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
        public var cacheFolder = "\(NSHomeDirectory())/.cache/cifake"
        /// Address other workers reach this one on; nil: the local address facing the coordinator.
        public var advertiseHost: String?
        public var ringTimeoutSeconds = 60.0
        public var controlTimeoutSeconds = 60.0
        public var nodeID = ProcessInfo.processInfo.hostName + "-\(getpid())"
        /// The rank a scheduler gave this process, asked for in the join (granted when free).
        public var requestedRank: Int?

        public init(coordinator: String) { self.coordinator = coordinator }
    }

    let options: Options
    let say: (String) -> Void

    public init(options: Options, log: @escaping (String) -> Void) {
        self.options = options
        self.say = log
    }

    private var control: CoordinatorClient!

    public func run() throws {
        ReceiveAllocator.keepFreedMessageMemory()
        let security = try ClusterSecurity.forWorker(configPath: options.configPath)
        say(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let context = try ZMQContext()
        control = try CoordinatorClient(context: context, coordinator: options.coordinator, timeoutSeconds: options.controlTimeoutSeconds,
                                        log: say, secure: security.secureClient)
        let endpoint = control.endpoint

        // 1. What to train, on which data.
        let (info, config, dataset) = try control.obtainRun(configPath: options.configPath, dataPath: options.dataPath,
                                                            threads: options.threads, cacheFolder: options.cacheFolder)
        let (train, validation) = TrainingRun.splits(config: config, dataset: dataset)

        // 2. Join with everything the coordinator checks.
        let host = options.advertiseHost ?? Self.localAddress(towards: endpoint) ?? "127.0.0.1"
        let ringGuard = try security.startRingGuard(context: context, log: { writeStandardError($0 + "\n") })
        defer { ringGuard?.stop() }
        let link = try ZeroMQRingLink(context: context, bind: "tcp://\(host):*", curve: security.keys, zap: ringGuard)
        defer { link.close() }
        let identity = RunIdentity.cluster(config: config, dataset: dataset)
        let join = JoinRequest(role: .worker, version: identity.version, configDigest: identity.configDigest,
                               architectureDigest: identity.architectureDigest, parameterCount: identity.parameterCount,
                               dataDigest: identity.dataDigest, host: host, ringEndpoint: link.boundEndpoint,
                               computeThreads: options.threads, nodeID: options.nodeID,
                               incarnation: UInt64(Date().timeIntervalSince1970 * 1e6), requestedRank: options.requestedRank,
                               publicKey: security.keys?.publicKey ?? "")
        try control.send(.join(join))
        let assignment: Assignment = try control.awaitMessage(what: "an assignment") {
            switch $0 {
            case .assignment(let a): return a
            case .refusal(let r): throw RuntimeError.refused("the coordinator refused this worker: \(r)")
            case .admitted: self.say("admitted; waiting for the other workers"); return nil
            case .waiting(let have, let need): self.say("waiting for workers: \(have) of \(need)"); return nil
            default: return nil
            }
        }
        say("rank \(assignment.rank) of \(assignment.worldSize) (generation \(assignment.generation)); ring: \(assignment.ring.map(\.endpoint).joined(separator: " -> "))")
        try security.trustPredecessor(ringGuard, assignment: assignment)
        let reducer = RingReducer(link: link, rank: assignment.rank, worldSize: assignment.worldSize,
                                  elementCount: config.architecture.parameterCount, generation: assignment.generation,
                                  timeoutMilliseconds: Int(options.ringTimeoutSeconds * 1000))
        let trainer = Trainer(config: config, train: train, reducer: reducer)
        if let resume = info.resume {
            guard let bytes = try control.fetchCheckpoint(resume) else { throw RuntimeError.protocolViolation("the resume checkpoint changed") }
            try trainer.resume(from: Checkpoint.decode(bytes, source: "the coordinator's checkpoint of step \(resume.step)"))
            say("loaded the checkpoint of step \(resume.step) from the coordinator")
        }
        try control.send(.ready(completedSteps: trainer.globalStep), generation: assignment.generation)
        let start: StartTraining = try control.awaitMessage(what: "the start signal") {
            if case .start(let s) = $0 { return s } else { return nil }
        }
        guard start.startStep == trainer.globalStep else {
            throw RuntimeError.protocolViolation("asked to start at step \(start.startStep); this worker holds step \(trainer.globalStep) (elastic rejoin is not supported yet)")
        }
        try security.connectRing(link, assignment: assignment)

        // 3. Train.
        let total = config.epochs * trainer.stepsPerEpoch
        let isLead = assignment.rank == 0
        let yaml = String(decoding: info.configuration, as: UTF8.self)
        var order: [Int] = []
        var lastStep = total - 1
        var step = trainer.globalStep
        while step <= lastStep {
            let epoch = step / trainer.stepsPerEpoch, inEpoch = step % trainer.stepsPerEpoch
            if inEpoch == 0 || order.isEmpty { order = trainer.order(epoch: epoch) }
            let stats = try trainer.step(epoch: epoch, stepInEpoch: inEpoch, order: order)
            let completed = step + 1
            let epochEnd = completed % trainer.stepsPerEpoch == 0
            let checkpointDue = epochEnd || step == lastStep || (config.checkpointEvery > 0 && completed % config.checkpointEvery == 0)
            if isLead && epochEnd && validation.count > 0 {
                let report = try ClassificationReport(probabilities: trainer.predict(validation), labels: validation.labels)
                let json = #"{"epoch":\#(epoch + 1),"val_loss":\#(report.logLoss),"val_accuracy":\#(report.accuracy),"val_f1":\#(report.f1),"val_auc":\#(report.rocAUC ?? 0.5)}"#
                try control.send(.evaluationResult(EvaluationResult(step: completed, json: Array(json.utf8))), generation: assignment.generation)
            }
            if isLead && checkpointDue {
                try control.upload(trainer.checkpoint(configuration: yaml).encode(), step: completed, generation: assignment.generation)
            }
            let checksum: UInt64? = completed % Self.checksumEvery == 0 || checkpointDue ? trainer.network.parameters.checksum() : nil
            let report = StepReport(generation: assignment.generation, step: step, epoch: epoch,
                                    loss: stats.samples > 0 ? stats.loss / Double(stats.samples) : 0,
                                    accuracy: stats.samples > 0 ? Double(stats.correct) / Double(stats.samples) : 0,
                                    samples: stats.samples, computeSeconds: stats.computeSeconds,
                                    allReduceWaitSeconds: stats.reduceSeconds, weightChecksum: checksum,
                                    ringSendBusySeconds: reducer.takeSuccessorBusySeconds())
            try control.send(.stepReport(report), generation: assignment.generation)
            switch try pollControl() {
            case .none: break
            case .finished(let after)? where after >= step:
                if after < lastStep { say("early stopping: finishing after step \(after)") }
                lastStep = min(lastStep, after)
            case let reason?: throw RuntimeError.stopped(reason.description)
            }
            step += 1
        }
        // 4. Wait to be released.
        let reason: String = try control.awaitMessage(what: "the coordinator's stop") {
            if case .stop(let r) = $0 { return r.description } else { return nil }
        }
        say("done: \(reason)")
    }

    /// Weight checksums go to the coordinator every this many steps (and after the last).
    static let checksumEvery = 25

    /// Handles what arrived between steps; returns the reason when told to stop (`.finished`:
    /// finish after that step).
    private func pollControl() throws -> StopReason? {
        try control.heartbeatIfDue()
        while let message = try control.receive(timeoutMilliseconds: 0) {
            switch message {
            case .stop(let reason): return reason
            case .assignment, .rejoin:
                throw RuntimeError.protocolViolation("the coordinator changed the membership; elastic recovery is not supported yet")
            default: continue
            }
        }
        return nil
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

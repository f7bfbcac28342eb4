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

        public init(coordinator: String) { self.coordinator = coordinator }
    }

    let options: Options
    let say: (String) -> Void

    public init(options: Options, log: @escaping (String) -> Void) {
        self.options = options
        self.say = log
    }

    private var control: ControlChannel!
    private var lastHeartbeat = 0.0
    private var heartbeatSequence: UInt64 = 0

    public func run() throws {
        ReceiveAllocator.keepFreedMessageMemory()
        let security = try ClusterSecurity.forWorker(configPath: options.configPath)
        say(security.isCurve ? security.summary : ClusterSecurity.plainWarning)
        let context = try ZMQContext()
        control = try ControlChannel(context: context, router: false)
        control.onBadFrame = { [say] in say("control: \($0)") }
        try security.secureClient(control.socket)
        let endpoint = options.coordinator.hasPrefix("tcp://") ? options.coordinator : "tcp://\(options.coordinator)"
        try control.socket.connect(endpoint)
        say("connecting to the coordinator at \(endpoint)")

        // 1. What to train, on which data.
        let info: RunInfo = try request(.runInfoRequest, what: "the run's settings") {
            if case .runInfo(let i) = $0 { return i } else { return nil }
        }
        var config: TrainingConfig
        if let path = options.configPath {
            config = try ConfigFile.load(path)
        } else {
            config = try ConfigFile.parse(String(decoding: info.configuration, as: UTF8.self), source: "coordinator's configuration")
        }
        config.threads = options.threads
        var loadOptions = config.loadOptions
        loadOptions.threads = max(1, options.threads)
        let cache = DataCache(folder: options.cacheFolder, log: say)
        let dataset = try cache.obtain(info: info, localPath: options.dataPath, options: loadOptions) { range in
            try request(.dataRequest(range), what: "data bytes at offset \(range.offset)") {
                if case .dataChunk(let c) = $0 { return c } else { return nil }
            }
        }
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
                               incarnation: UInt64(Date().timeIntervalSince1970 * 1e6), publicKey: security.keys?.publicKey ?? "")
        try control.send(.join(join))
        let assignment: Assignment = try awaitMessage(what: "an assignment") {
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
        try control.send(.ready(completedSteps: 0), generation: assignment.generation)
        let start: StartTraining = try awaitMessage(what: "the start signal") {
            if case .start(let s) = $0 { return s } else { return nil }
        }
        guard start.startStep == 0 else {
            throw RuntimeError.protocolViolation("asked to start at step \(start.startStep); this worker holds step 0 (elastic rejoin is not supported yet)")
        }
        try security.connectRing(link, assignment: assignment)

        // 3. Train.
        let total = config.epochs * trainer.stepsPerEpoch
        let isLead = assignment.rank == 0
        let best = isLead && validation.count > 0 ? FloatBuffer(count: trainer.network.parameters.count) : nil
        var bestAccuracy = -1.0
        var order: [Int] = []
        for step in 0..<total {
            let epoch = step / trainer.stepsPerEpoch, inEpoch = step % trainer.stepsPerEpoch
            if inEpoch == 0 { order = trainer.order(epoch: epoch) }
            let stats = try trainer.step(epoch: epoch, stepInEpoch: inEpoch, order: order)
            let last = step == total - 1
            if isLead && inEpoch == trainer.stepsPerEpoch - 1, let best {
                let report = try ClassificationReport(probabilities: trainer.predict(validation), labels: validation.labels)
                let improved = report.accuracy > bestAccuracy
                if improved {
                    bestAccuracy = report.accuracy
                    best.copy(from: trainer.network.parameters)
                }
                let json = #"{"epoch":\#(epoch + 1),"val_loss":\#(report.logLoss),"val_accuracy":\#(report.accuracy),"best":\#(improved)}"#
                try control.send(.evaluationResult(EvaluationResult(step: step, json: Array(json.utf8))), generation: assignment.generation)
            }
            // The replica's checksum is taken before rank 0 swaps in its kept (best) weights.
            let checksum: UInt64? = (step + 1) % Self.checksumEvery == 0 || last ? trainer.network.parameters.checksum() : nil
            if isLead && last {
                if let best { trainer.network.parameters.copy(from: best) }
                try uploadModel(trainer.network.modelFileBytes(metadata: ["seed": String(config.seed), "steps": String(total)]),
                                step: step, generation: assignment.generation)
            }
            let report = StepReport(generation: assignment.generation, step: step, epoch: epoch,
                                    loss: stats.samples > 0 ? stats.loss / Double(stats.samples) : 0,
                                    accuracy: stats.samples > 0 ? Double(stats.correct) / Double(stats.samples) : 0,
                                    samples: stats.samples, computeSeconds: stats.computeSeconds,
                                    allReduceWaitSeconds: stats.reduceSeconds, weightChecksum: checksum)
            try control.send(.stepReport(report), generation: assignment.generation)
            if let reason = try pollControl() { throw RuntimeError.stopped(reason) }
        }
        // 4. Wait to be released.
        let reason: String = try awaitMessage(what: "the coordinator's stop") {
            if case .stop(let r) = $0 { return r.description } else { return nil }
        }
        say("done: \(reason)")
    }

    /// Weight checksums go to the coordinator every this many steps (and after the last).
    static let checksumEvery = 25

    // MARK: Control plane

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func heartbeatIfDue() throws {
        if now() - lastHeartbeat >= 1 {
            heartbeatSequence += 1
            try control.send(.heartbeat(sequence: heartbeatSequence))
            lastHeartbeat = now()
        }
    }

    /// Handles what arrived between steps; returns a reason when told to stop.
    private func pollControl() throws -> String? {
        try heartbeatIfDue()
        while let (_, _, message) = try control.receive(timeoutMilliseconds: 0) {
            switch message {
            case .stop(let reason): return reason.description
            case .assignment, .rejoin:
                throw RuntimeError.protocolViolation("the coordinator changed the membership; elastic recovery is not supported yet")
            default: continue
            }
        }
        return nil
    }

    /// Waits (with heartbeats) for the first message `match` accepts; a `.stop` ends the wait with an error.
    private func awaitMessage<T>(what: String, _ match: (WireMessage) throws -> T?) throws -> T {
        let deadline = now() + options.controlTimeoutSeconds
        while now() < deadline {
            try heartbeatIfDue()
            guard let (_, _, message) = try control.receive(timeoutMilliseconds: 250) else { continue }
            if let value = try match(message) { return value }
            if case .stop(let reason) = message { throw RuntimeError.stopped(reason.description) }
        }
        throw RuntimeError.timeout("no \(what) from the coordinator at \(options.coordinator) within \(Int(options.controlTimeoutSeconds)) s")
    }

    /// Sends `message` and waits for its answer, resending every few seconds (requests are idempotent).
    private func request<T>(_ message: WireMessage, what: String, _ match: (WireMessage) throws -> T?) throws -> T {
        let deadline = now() + options.controlTimeoutSeconds
        while now() < deadline {
            try control.send(message)
            let resendAt = now() + 5
            while now() < resendAt {
                guard let (_, _, reply) = try control.receive(timeoutMilliseconds: 250) else { continue }
                if let value = try match(reply) { return value }
            }
        }
        throw RuntimeError.timeout("no \(what) from the coordinator at \(options.coordinator) within \(Int(options.controlTimeoutSeconds)) s")
    }

    private func uploadModel(_ bytes: [UInt8], step: Int, generation: UInt64) throws {
        try control.send(.checkpointOffer(CheckpointOffer(step: step, totalBytes: UInt64(bytes.count), checksum: WireChecksum.fnv1a64(bytes))),
                         generation: generation)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + (4 << 20), bytes.count)
            try control.send(.checkpointChunk(ByteChunk(step: step, offset: UInt64(offset), total: UInt64(bytes.count), bytes: Array(bytes[offset..<end]))),
                             generation: generation)
            offset = end
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

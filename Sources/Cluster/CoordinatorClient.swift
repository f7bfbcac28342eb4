import Checkpoints
import Checksums
import Coordination
import Dataset
import Dispatch
import Foundation
import Training
import Transport
import Wire

/// A worker's or evaluator's side of the control channel: one DEALER connected to the
/// coordinator, heartbeats, and request/answer exchanges that each have a deadline.
final class CoordinatorClient {
    let channel: ControlChannel
    let endpoint: String
    let timeoutSeconds: Double
    private let say: (String) -> Void
    private var lastHeartbeat = 0.0
    private var heartbeatSequence: UInt64 = 0
    /// When anything last arrived from the coordinator (it heartbeats every second).
    private(set) var lastHeard: Double
    private var silenceWarned = false
    /// Seconds of coordinator silence before it is reported (training goes on: the ring does not
    /// need the coordinator, and the socket reconnects by itself when it is back).
    var silenceLimit = 5.0

    /// Why the coordinator does not let this process in, told within seconds (see ``HandshakeWatch``).
    private let handshake: HandshakeWatch
    private let security: ClusterSecurity

    /// `security` prepares the socket before it connects (CURVE client keys).
    init(context: ZMQContext, coordinator: String, timeoutSeconds: Double, log: @escaping (String) -> Void,
         security: ClusterSecurity) throws {
        channel = try ControlChannel(context: context, router: false)
        channel.onBadFrame = { log("control: \($0)") }
        try security.secureClient(channel.socket)
        self.security = security
        handshake = try HandshakeWatch(channel.socket, context: context)
        endpoint = coordinator.hasPrefix("tcp://") ? coordinator : "tcp://\(coordinator)"
        self.timeoutSeconds = timeoutSeconds
        say = log
        lastHeard = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        try channel.socket.connect(endpoint)
        log("connecting to the coordinator at \(endpoint)")
    }

    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func send(_ message: WireMessage, generation: UInt64 = 0) throws {
        try channel.send(message, generation: generation)
    }

    /// The next message from the coordinator. The coordinator's requests for ranges of this
    /// worker's upload are answered here, whatever the caller waits for, and not returned.
    func receive(timeoutMilliseconds: Int) throws -> WireMessage? {
        if let refusal = handshake.check() {
            throw RuntimeError.refused(security.explain(refusal, server: endpoint))
        }
        var wait = timeoutMilliseconds
        while let message = try channel.receive(timeoutMilliseconds: wait)?.message {
            lastHeard = now()
            if silenceWarned {
                silenceWarned = false
                say("the coordinator at \(endpoint) is back")
            }
            guard case .checkpointRequest(let range) = message, let outgoing, range.step == outgoing.step else { return message }
            let chunk = ByteChunk(of: outgoing.bytes, step: outgoing.step, offset: range.offset, length: min(range.length, ChunkPacing.maximumChunkBytes))
            try channel.send(.checkpointChunk(chunk), generation: outgoing.generation)
            if chunk.offset + UInt64(chunk.bytes.count) == chunk.total { uploadPending = false }
            wait = 0
        }
        return nil
    }

    /// The upload the coordinator pulls (rank 0's newest checkpoint, or this replica's state).
    private var outgoing: (step: Int, generation: UInt64, bytes: [UInt8])?
    /// Whether the coordinator has yet to ask for the end of the upload.
    private(set) var uploadPending = false

    /// Logs once when the coordinator has been silent for longer than `silenceLimit`.
    func warnIfSilent() {
        let silent = now() - lastHeard
        if silent > silenceLimit && !silenceWarned {
            silenceWarned = true
            say(String(format: "the coordinator at %@ has been silent for %.1f s (dead or restarting); training goes on, reconnecting", endpoint, silent))
        }
    }

    func heartbeatIfDue() throws {
        if now() - lastHeartbeat >= 1 {
            heartbeatSequence += 1
            try channel.send(.heartbeat(sequence: heartbeatSequence))
            lastHeartbeat = now()
        }
    }

    /// Waits (with heartbeats) for the first message `match` accepts, up to `seconds` (default:
    /// the client's timeout); a `.stop` that `match` lets pass ends the wait with an error.
    func awaitMessage<T>(what: String, seconds: Double? = nil, _ match: (WireMessage) throws -> T?) throws -> T {
        let limit = seconds ?? timeoutSeconds
        let deadline = now() + limit
        while now() < deadline {
            try heartbeatIfDue()
            guard let message = try receive(timeoutMilliseconds: 250) else {
                warnIfSilent()  // after reading: what queued while this process was busy is not silence
                continue
            }
            if let value = try match(message) { return value }
            if case .stop(let reason) = message { throw RuntimeError.stopped(reason.description) }
        }
        throw RuntimeError.timeout("no \(what) from the coordinator at \(endpoint) within \(Int(limit)) s")
    }

    /// Sends `message` and waits for its answer, resending every few seconds (requests are idempotent).
    func request<T>(_ message: WireMessage, what: String, _ match: (WireMessage) throws -> T?) throws -> T {
        let deadline = now() + timeoutSeconds
        while now() < deadline {
            try channel.send(message)
            let resendAt = now() + 5
            while now() < resendAt {
                guard let reply = try receive(timeoutMilliseconds: 250) else { continue }
                if let value = try match(reply) { return value }
                if case .stop(let reason) = reply { throw RuntimeError.stopped(reason.description) }
            }
        }
        throw RuntimeError.timeout("no \(what) from the coordinator at \(endpoint) within \(Int(timeoutSeconds)) s")
    }

    /// The run's settings and data: the run information, the configuration (`configPath`'s, to be
    /// checked against the coordinator's, or the coordinator's own), and the data set (a local
    /// copy whose digest matches, the cache, or the coordinator's bytes).
    func obtainRun(configPath: String?, dataPath: String?, threads: Int, cacheFolder: String) throws -> (RunInfo, TrainingConfig, CIFAKEDataset) {
        let info: RunInfo = try request(.runInfoRequest, what: "the run's settings") {
            if case .runInfo(let i) = $0 { return i } else { return nil }
        }
        var config: TrainingConfig
        if let configPath {
            config = try ConfigFile.load(configPath)
        } else {
            config = try ConfigFile.parse(String(decoding: info.configuration, as: UTF8.self), source: "coordinator's configuration")
        }
        config.threads = threads
        var loadOptions = config.loadOptions
        loadOptions.threads = max(1, threads)
        let dataset = try DataCache(folder: cacheFolder, log: say).obtain(info: info, localPath: dataPath, options: loadOptions) { range in
            try request(.dataRequest(range), what: "data bytes at offset \(range.offset)") {
                if case .dataChunk(let c) = $0 { return c } else { return nil }
            }
        }
        return (info, config, dataset)
    }

    /// Fetches a checkpoint the coordinator offers, in ranges, and checks it whole. Returns nil
    /// when the coordinator moved on to a newer checkpoint meanwhile (`newer` gets its offer).
    func fetchCheckpoint(_ offer: CheckpointOffer, newer: ((CheckpointOffer) -> Void)? = nil) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(offer.totalBytes))
        while UInt64(bytes.count) < offer.totalBytes {
            let chunk: ByteChunk = try request(.checkpointRequest(ByteRangeRequest(step: offer.step, offset: UInt64(bytes.count), length: 4 << 20)),
                                               what: "checkpoint bytes at offset \(bytes.count)") {
                switch $0 {
                case .checkpointChunk(let c) where c.offset == UInt64(bytes.count) || c.step != offer.step: return c
                case .checkpointOffer(let o): newer?(o); return nil
                default: return nil
                }
            }
            if chunk.step != offer.step {
                guard let newer else {
                    throw RuntimeError.protocolViolation("asked for the checkpoint of step \(offer.step), the coordinator serves step \(chunk.step)")
                }
                newer(CheckpointOffer(step: chunk.step, totalBytes: chunk.total, checksum: 0))
                return nil
            }
            guard !chunk.bytes.isEmpty else { throw RuntimeError.protocolViolation("empty checkpoint chunk at offset \(bytes.count)") }
            bytes += chunk.bytes
        }
        guard XXH64.hash(bytes) == offer.checksum else {
            throw RuntimeError.protocolViolation("the checkpoint of step \(offer.step) arrived damaged (checksum differs)")
        }
        return bytes
    }

    /// Offers bytes to the coordinator (rank 0's checkpoints, a state source's state), which
    /// pulls them in ranges (`receive` answers), a few at a time: heartbeats and step reports
    /// never queue behind more than those few, however slow the link, and a lost range is simply
    /// asked for again. A newer upload replaces an older one still in flight.
    func upload(_ bytes: [UInt8], step: Int, generation: UInt64) throws {
        outgoing = (step, generation, bytes)
        uploadPending = true
        try channel.send(.checkpointOffer(CheckpointOffer(step: step, totalBytes: UInt64(bytes.count), checksum: XXH64.hash(bytes))),
                         generation: generation)
    }
}

import Checksums
import Coordination

/// Encodes and decodes control frames: a ``WireHeader`` then a compact little-endian payload
/// (strings and byte blobs prefixed by a UInt32 length, optionals by a 0/1 byte, arrays by a
/// UInt32 count). Every length is bounded; the decoder checks each against its bound before
/// reading, requires the payload to be consumed exactly, and never traps.
public enum WireCodec {
    /// Largest payload a frame may declare: 16 MiB (set ZMQ_MAXMSGSIZE to at least
    /// `maximumFrameBytes`).
    public static let maximumPayloadBytes = 16 << 20
    public static let maximumFrameBytes = WireHeader.byteCount + maximumPayloadBytes
    /// Largest `ByteChunk.bytes` and `ByteRangeRequest.length`: 8 MiB (1-4 MiB is the sweet spot).
    public static let maximumChunkBytes = 8 << 20
    /// Largest evaluation-result JSON: 4 MiB.
    public static let maximumJSONBytes = 4 << 20
    /// Epochs a run may have (the configuration's own limit).
    public static let maximumEpochs = 100_000
    /// Largest string field, in UTF-8 bytes.
    public static let maximumStringBytes = 4096
    /// Largest ring (world size) and rank list.
    public static let maximumRingSize = 1024
    /// Largest number of mismatches in a refusal.
    public static let maximumMismatches = 64
    /// Largest compute-thread count a join may announce.
    public static let maximumComputeThreads = 4096
    /// Largest whole transfer (checkpoint, state or data file) an offer or chunk may announce:
    /// 16 GiB. A receiver sizes its buffer from it, so it is bounded like every length.
    public static let maximumTransferBytes: UInt64 = 16 << 30

    /// One frame: header then payload.
    ///
    /// - Parameter generation: written to the header, except for assignment, start and step
    ///   report, which carry their own generation.
    /// - Throws: ``WireError/lengthOutOfRange(field:found:maximum:)`` when a string, array or
    ///   blob exceeds its bound (the decoder would refuse the frame).
    public static func encode(_ message: WireMessage, generation: UInt64 = 0) throws(WireError) -> [UInt8] {
        var w = WireWriter()
        w.bytes.reserveCapacity(64)
        try encodePayload(message, into: &w)
        return try WireHeader.frame(kind: message.kind, generation: message.ownGeneration ?? generation, payload: w.bytes)
    }

    /// Decodes one whole frame.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> (header: WireHeader, message: WireMessage) {
        try WireHeader.decodeFrame(bytes) { (header, r) throws(WireError) in
            try decodePayload(header.kind, generation: header.generation, from: &r)
        }
    }

    /// Decodes one whole frame.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> (header: WireHeader, message: WireMessage) {
        let result: Result<(header: WireHeader, message: WireMessage), WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    // MARK: Payloads

    private static func check(_ field: String, _ n: Int, _ maximum: Int) throws(WireError) {
        guard n >= 0 && n <= maximum else { throw .lengthOutOfRange(field: field, found: n, maximum: maximum) }
    }

    private static func checkTransfer(_ field: String, _ bytes: UInt64) throws(WireError) {
        guard bytes <= maximumTransferBytes else {
            throw .invalidValue(field: field, expected: "at most \(maximumTransferBytes) bytes", found: String(bytes))
        }
    }

    private static func put(_ field: String, _ s: String, _ w: inout WireWriter) throws(WireError) {
        try check(field, s.utf8.count, maximumStringBytes)
        w.string(s)
    }

    private static func putChunk(_ c: ByteChunk, _ w: inout WireWriter) throws(WireError) {
        try check("chunk.bytes", c.bytes.count, maximumChunkBytes)
        try checkTransfer("chunk.total", c.total)
        w.i64(c.step); w.u64(c.offset); w.u64(c.total); w.u64(c.checksum); w.blob(c.bytes)
    }

    private static func encodePayload(_ message: WireMessage, into w: inout WireWriter) throws(WireError) {
        switch message {
        case .join(let j):
            w.u8(j.role.rawValue)
            try put("join.version", j.version, &w)
            try put("join.configDigest", j.configDigest, &w)
            try put("join.architectureDigest", j.architectureDigest, &w)
            w.i64(j.parameterCount)
            try put("join.dataDigest", j.dataDigest, &w)
            try put("join.host", j.host, &w)
            try put("join.ringEndpoint", j.ringEndpoint, &w)
            try put("join.localRingEndpoint", j.localRingEndpoint, &w)
            try put("join.locality", j.locality, &w)
            try check("join.computeThreads", j.computeThreads, maximumComputeThreads)
            w.count(j.computeThreads)
            try put("join.nodeID", j.nodeID, &w)
            w.u64(j.incarnation)
            try put("join.publicKey", j.publicKey, &w)
            if let rank = j.requestedRank { try check("join.requestedRank", rank, maximumRingSize - 1) }
            w.optionalCount(j.requestedRank)
        case .admitted(let a):
            w.u8(a.role.rawValue); w.bool(a.waitsForStepBoundary)
        case .refusal(let r):
            try check("refusal.mismatches", r.mismatches.count, maximumMismatches)
            w.count(r.mismatches.count)
            for m in r.mismatches {
                try put("refusal.field", m.field, &w)
                try put("refusal.coordinator", m.coordinator, &w)
                try put("refusal.joiner", m.joiner, &w)
            }
        case .assignment(let a):
            try check("assignment.ring", a.ring.count, maximumRingSize)
            try check("assignment.rank", a.rank, maximumRingSize)
            try check("assignment.worldSize", a.worldSize, maximumRingSize)
            w.count(a.rank); w.count(a.worldSize); w.count(a.ring.count)
            for m in a.ring {
                try check("assignment.ring.rank", m.rank, maximumRingSize)
                w.count(m.rank)
                try put("assignment.ring.nodeID", m.nodeID, &w)
                try put("assignment.ring.host", m.host, &w)
                try put("assignment.ring.endpoint", m.endpoint, &w)
                try put("assignment.ring.publicKey", m.publicKey, &w)
                try put("assignment.ring.localEndpoint", m.localEndpoint, &w)
                try put("assignment.ring.locality", m.locality, &w)
            }
        case .ready(let completedSteps):
            w.i64(completedSteps)
        case .start(let s):
            try check("start.needsState", s.needsState.count, maximumRingSize)
            w.i64(s.startStep)
            if let source = s.stateSource { try check("start.stateSource", source, maximumRingSize) }
            w.optionalCount(s.stateSource)
            w.count(s.needsState.count)
            for r in s.needsState {
                try check("start.needsState.rank", r, maximumRingSize)
                w.count(r)
            }
        case .heartbeat(let sequence):
            w.u64(sequence)
        case .stepReport(let r), .stepReplay(let r):
            w.i64(r.step); w.i64(r.epoch); w.f64(r.loss); w.f64(r.accuracy); w.i64(r.samples)
            w.f64(r.computeSeconds); w.f64(r.allReduceWaitSeconds); w.optionalU64(r.weightChecksum)
            w.optionalU64(r.ringSendBusySeconds?.bitPattern)
        case .leave(let reason):
            try put("leave.reason", reason, &w)
        case .rejoin(let reason):
            try put("rejoin.reason", reason, &w)
        case .waiting(let have, let need):
            try check("waiting.have", have, maximumRingSize)
            try check("waiting.need", need, maximumRingSize)
            w.count(have); w.count(need)
        case .stop(let reason):
            switch reason {
            case .finished(let step):
                w.u8(0); w.i64(step)
            case .weightsDiverged(let step, let majority, let minority):
                try check("stop.minority", minority.count, maximumRingSize)
                w.u8(1); w.i64(step); w.optionalU64(majority); w.count(minority.count)
                for m in minority {
                    try check("stop.minority.rank", m.rank, maximumRingSize)
                    w.count(m.rank); w.u64(m.checksum)
                }
            case .tooFewWorkers(let have, let need, let waited):
                try check("stop.have", have, maximumRingSize)
                try check("stop.need", need, maximumRingSize)
                w.u8(2); w.count(have); w.count(need); w.f64(waited)
            case .requested(let why):
                w.u8(3); try put("stop.reason", why, &w)
            case .suspended(let step, let why):
                w.u8(4); w.i64(step); try put("stop.reason", why, &w)
            }
        case .checkpointOffer(let o):
            try checkTransfer("checkpointOffer.totalBytes", o.totalBytes)
            w.i64(o.step); w.u64(o.totalBytes); w.u64(o.checksum)
        case .runInfoRequest:
            break
        case .runInfo(let info):
            try check("runInfo.configuration", info.configuration.count, maximumJSONBytes)
            try checkTransfer("runInfo.dataBytes", info.dataBytes)
            if let o = info.resume { try checkTransfer("runInfo.resume.totalBytes", o.totalBytes) }
            w.blob(info.configuration); w.u64(info.dataBytes); w.u64(info.dataDigest)
            if let o = info.resume {
                w.u8(1); w.i64(o.step); w.u64(o.totalBytes); w.u64(o.checksum)
            } else {
                w.u8(0)
            }
        case .checkpointRequest(let q), .dataRequest(let q):
            try check("request.length", q.length, maximumChunkBytes)
            w.i64(q.step); w.u64(q.offset); w.count(q.length)
        case .checkpointChunk(let c), .dataChunk(let c):
            try putChunk(c, &w)
        case .evaluationResult(let e):
            w.i64(e.step)
            if let epoch = e.epoch { try check("evaluationResult.epoch", epoch, maximumEpochs) }
            w.optionalCount(e.epoch)
            for scores in [e.validation, e.test] {
                guard let scores else { w.u8(0); continue }
                w.u8(1); w.f64(scores.loss); w.f64(scores.accuracy); w.f64(scores.f1); w.optionalU64(scores.auc?.bitPattern)
            }
        }
    }

    private static func role(_ field: String, _ r: inout WireReader) throws(WireError) -> JoinRequest.Role {
        let raw = try r.u8(field)
        guard let role = JoinRequest.Role(rawValue: raw) else {
            throw .invalidValue(field: field, expected: "0 (worker) or 1 (evaluator)", found: String(raw))
        }
        return role
    }

    private static func chunk(_ name: String, _ r: inout WireReader) throws(WireError) -> ByteChunk {
        let step = try r.nonNegative(name + ".step")
        let offset = try r.u64(name + ".offset")
        let total = try r.transferSize(name + ".total")
        let checksum = try r.u64(name + ".checksum")
        let bytes = try r.blob(name + ".bytes", maximum: maximumChunkBytes)
        let (end, overflow) = offset.addingReportingOverflow(UInt64(bytes.count))
        guard !overflow && end <= total else {
            throw .invalidValue(field: name + ".offset", expected: "offset + \(bytes.count) bytes <= total \(total)", found: String(offset))
        }
        let found = XXH64.hash(bytes)
        guard found == checksum else { throw .checksumMismatch(field: name + ".bytes", expected: checksum, found: found) }
        return ByteChunk(step: step, offset: offset, total: total, checksum: checksum, bytes: bytes)
    }

    /// Optional scores: each a finite number in its range (a loss >= 0, the rest in 0...1).
    private static func scores(_ name: String, _ r: inout WireReader) throws(WireError) -> EvaluationResult.Scores? {
        guard try r.bool(name) else { return nil }
        func value(_ field: String, _ range: ClosedRange<Double>) throws(WireError) -> Double {
            let v = try r.f64("\(name).\(field)")
            guard range.contains(v) else {
                throw .invalidValue(field: "\(name).\(field)", expected: "a number in \(range.lowerBound)...\(range.upperBound)", found: String(v))
            }
            return v
        }
        let loss = try value("loss", 0...1e6), accuracy = try value("accuracy", 0...1), f1 = try value("f1", 0...1)
        let auc = try r.optionalU64("\(name).auc").map(Double.init(bitPattern:))
        if let auc, !(0...1).contains(auc) {
            throw .invalidValue(field: "\(name).auc", expected: "a number in 0.0...1.0", found: String(auc))
        }
        return EvaluationResult.Scores(loss: loss, accuracy: accuracy, f1: f1, auc: auc)
    }

    private static func rangeRequest(_ name: String, _ r: inout WireReader) throws(WireError) -> ByteRangeRequest {
        ByteRangeRequest(step: try r.nonNegative(name + ".step"), offset: try r.u64(name + ".offset"),
                         length: try r.count(name + ".length", maximum: maximumChunkBytes))
    }

    private static func decodePayload(_ kind: WireKind, generation: UInt64, from r: inout WireReader) throws(WireError) -> WireMessage {
        switch kind {
        case .join:
            var join = JoinRequest(
                role: try role("join.role", &r),
                version: try r.string("join.version"),
                configDigest: try r.string("join.configDigest"),
                architectureDigest: try r.string("join.architectureDigest"),
                parameterCount: try r.nonNegative("join.parameterCount"),
                dataDigest: try r.string("join.dataDigest"),
                host: try r.string("join.host"),
                ringEndpoint: try r.string("join.ringEndpoint"),
                localRingEndpoint: try r.string("join.localRingEndpoint"),
                locality: try r.string("join.locality"),
                computeThreads: try r.count("join.computeThreads", maximum: maximumComputeThreads),
                nodeID: try r.string("join.nodeID"),
                incarnation: try r.u64("join.incarnation"),
                requestedRank: nil, publicKey: try r.string("join.publicKey"))
            join.requestedRank = try r.optionalCount("join.requestedRank", maximum: maximumRingSize - 1)
            return .join(join)
        case .admitted:
            return .admitted(Admission(role: try role("admitted.role", &r), waitsForStepBoundary: try r.bool("admitted.waitsForStepBoundary")))
        case .refusal:
            let n = try r.count("refusal.mismatches", maximum: maximumMismatches)
            var mismatches: [JoinRefusal.Mismatch] = []
            for _ in 0 ..< n {
                mismatches.append(.init(field: try r.string("refusal.field"), coordinator: try r.string("refusal.coordinator"),
                                        joiner: try r.string("refusal.joiner")))
            }
            return .refusal(JoinRefusal(mismatches))
        case .assignment:
            let rank = try r.count("assignment.rank", maximum: maximumRingSize)
            let worldSize = try r.count("assignment.worldSize", maximum: maximumRingSize)
            let n = try r.count("assignment.ring", maximum: maximumRingSize)
            guard worldSize >= 1 && rank < worldSize && n == worldSize else {
                throw .invalidValue(field: "assignment", expected: "0 <= rank < worldSize == ring count",
                                    found: "rank \(rank), worldSize \(worldSize), ring count \(n)")
            }
            var ring: [RingMember] = []
            for i in 0 ..< n {
                let memberRank = try r.count("assignment.ring.rank", maximum: maximumRingSize)
                guard memberRank == i else {
                    throw .invalidValue(field: "assignment.ring[\(i)].rank", expected: String(i), found: String(memberRank))
                }
                ring.append(RingMember(rank: memberRank, nodeID: try r.string("assignment.ring.nodeID"),
                                       host: try r.string("assignment.ring.host"), endpoint: try r.string("assignment.ring.endpoint"),
                                       publicKey: try r.string("assignment.ring.publicKey"),
                                       localEndpoint: try r.string("assignment.ring.localEndpoint"),
                                       locality: try r.string("assignment.ring.locality")))
            }
            return .assignment(Assignment(rank: rank, worldSize: worldSize, generation: generation, ring: ring))
        case .ready:
            return .ready(completedSteps: try r.nonNegative("ready.completedSteps"))
        case .start:
            let startStep = try r.nonNegative("start.startStep")
            let source = try r.optionalCount("start.stateSource", maximum: maximumRingSize)
            let n = try r.count("start.needsState", maximum: maximumRingSize)
            var needs: [Int] = []
            for _ in 0 ..< n { needs.append(try r.count("start.needsState.rank", maximum: maximumRingSize)) }
            return .start(StartTraining(generation: generation, startStep: startStep, stateSource: source, needsState: needs))
        case .heartbeat:
            return .heartbeat(sequence: try r.u64("heartbeat.sequence"))
        case .stepReport, .stepReplay:
            let report = StepReport(
                generation: generation, step: try r.nonNegative("stepReport.step"), epoch: try r.nonNegative("stepReport.epoch"),
                loss: try r.f64("stepReport.loss"), accuracy: try r.f64("stepReport.accuracy"),
                samples: try r.nonNegative("stepReport.samples"), computeSeconds: try r.f64("stepReport.computeSeconds"),
                allReduceWaitSeconds: try r.f64("stepReport.allReduceWaitSeconds"),
                weightChecksum: try r.optionalU64("stepReport.weightChecksum"),
                ringSendBusySeconds: try r.optionalU64("stepReport.ringSendBusySeconds").map(Double.init(bitPattern:)))
            return kind == .stepReport ? .stepReport(report) : .stepReplay(report)
        case .leave:
            return .leave(reason: try r.string("leave.reason"))
        case .rejoin:
            return .rejoin(reason: try r.string("rejoin.reason"))
        case .waiting:
            return .waiting(have: try r.count("waiting.have", maximum: maximumRingSize),
                            need: try r.count("waiting.need", maximum: maximumRingSize))
        case .stop:
            let tag = try r.u8("stop.reason")
            switch tag {
            case 0:
                return .stop(.finished(step: try r.nonNegative("stop.step")))
            case 1:
                let step = try r.nonNegative("stop.step")
                let majority = try r.optionalU64("stop.majority")
                let n = try r.count("stop.minority", maximum: maximumRingSize)
                var minority: [StopReason.RankChecksum] = []
                for _ in 0 ..< n {
                    minority.append(.init(rank: try r.count("stop.minority.rank", maximum: maximumRingSize),
                                          checksum: try r.u64("stop.minority.checksum")))
                }
                return .stop(.weightsDiverged(step: step, majority: majority, minority: minority))
            case 2:
                return .stop(.tooFewWorkers(have: try r.count("stop.have", maximum: maximumRingSize),
                                            need: try r.count("stop.need", maximum: maximumRingSize),
                                            waitedSeconds: try r.f64("stop.waitedSeconds")))
            case 3:
                return .stop(.requested(try r.string("stop.reason.text")))
            case 4:
                return .stop(.suspended(step: try r.nonNegative("stop.step"), why: try r.string("stop.reason.text")))
            default:
                throw .invalidValue(field: "stop.reason", expected: "0...4", found: String(tag))
            }
        case .checkpointOffer:
            return .checkpointOffer(CheckpointOffer(step: try r.nonNegative("checkpointOffer.step"),
                                                    totalBytes: try r.transferSize("checkpointOffer.totalBytes"),
                                                    checksum: try r.u64("checkpointOffer.checksum")))
        case .checkpointRequest:
            return .checkpointRequest(try rangeRequest("checkpointRequest", &r))
        case .checkpointChunk:
            return .checkpointChunk(try chunk("checkpointChunk", &r))
        case .evaluationResult:
            let step = try r.nonNegative("evaluationResult.step")
            let epoch = try r.optionalCount("evaluationResult.epoch", maximum: maximumEpochs)
            return .evaluationResult(EvaluationResult(step: step, epoch: epoch, validation: try scores("evaluationResult.validation", &r),
                                                      test: try scores("evaluationResult.test", &r)))
        case .runInfoRequest:
            return .runInfoRequest
        case .runInfo:
            var info = RunInfo(configuration: try r.blob("runInfo.configuration", maximum: maximumJSONBytes),
                               dataBytes: try r.transferSize("runInfo.dataBytes"), dataDigest: try r.u64("runInfo.dataDigest"))
            switch try r.u8("runInfo.resume") {
            case 0: break
            case 1:
                info.resume = CheckpointOffer(step: try r.nonNegative("runInfo.resume.step"), totalBytes: try r.transferSize("runInfo.resume.totalBytes"),
                                              checksum: try r.u64("runInfo.resume.checksum"))
            case let tag:
                throw .invalidValue(field: "runInfo.resume", expected: "0 or 1", found: String(tag))
            }
            return .runInfo(info)
        case .dataRequest:
            return .dataRequest(try rangeRequest("dataRequest", &r))
        case .dataChunk:
            return .dataChunk(try chunk("dataChunk", &r))
        case .benchHello, .benchRing, .benchReady, .benchGo, .benchWarmedUp, .benchTrainWindow, .benchWindowTimes,
             .benchAllReduceTimes, .benchWeightsChecksum, .benchWeightsChecksums, .benchAgreed, .benchFailed:
            throw .wrongKind(found: kind, expected: "a cluster control message (kind 1...\(WireKind.firstBenchControl - 1))")
        }
    }
}

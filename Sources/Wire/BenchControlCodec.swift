/// Encodes and decodes ``BenchControl`` frames: the cluster's ``WireHeader`` (magic, version, a
/// kind of 256 and up, generation 0: benchmark ranks have no membership) and a little-endian
/// payload written and read as ``WireCodec``'s are. Every count is bounded, every time is a finite
/// number of seconds, the payload is consumed exactly, and decoding never traps.
public enum BenchControlCodec {
    /// Largest rank (the ring's bound).
    public static let maximumRank = WireCodec.maximumRingSize - 1
    /// Largest `--mib` index, window index and timed repetitions per size.
    public static let maximumBufferSizes = 1024
    public static let maximumWindows = 100_000
    public static let maximumRepetitions = 100_000
    /// Largest window, in steps.
    public static let maximumWindowSteps = 1 << 24

    public static func encode(_ message: BenchControl) throws(WireError) -> [UInt8] {
        var w = WireWriter()
        try encodePayload(message, into: &w)
        return try WireHeader.frame(kind: message.kind, generation: 0, payload: w.bytes)
    }

    /// Decodes one whole frame.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> BenchControl {
        try WireHeader.decodeFrame(bytes) { (header, r) throws(WireError) in
            guard header.kind.isBenchControl else { throw .wrongKind(found: header.kind, expected: expectedKinds) }
            guard header.generation == 0 else {
                throw .invalidValue(field: "header.generation", expected: "0 (benchmark ranks have no membership)", found: String(header.generation))
            }
            return try decodePayload(header.kind, from: &r)
        }.message
    }

    /// Decodes one whole frame.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> BenchControl {
        let result: Result<BenchControl, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static let expectedKinds = "a benchmark rank's control message (kind \(WireKind.firstBenchControl) and up)"

    // MARK: Payloads

    private static func check(_ field: String, _ n: Int, _ maximum: Int) throws(WireError) {
        guard n >= 0 && n <= maximum else { throw .lengthOutOfRange(field: field, found: n, maximum: maximum) }
    }

    private static func put(_ field: String, _ s: String?, _ w: inout WireWriter) throws(WireError) {
        if let s { try check(field, s.utf8.count, WireCodec.maximumStringBytes) }
        w.optionalString(s)
    }

    private static func putRank(_ field: String, _ rank: Int, _ w: inout WireWriter) throws(WireError) {
        try check(field, rank, maximumRank)
        w.count(rank)
    }

    private static func putSeconds(_ field: String, _ v: Double, _ w: inout WireWriter) throws(WireError) {
        guard v.isFinite && v >= 0 else { throw .invalidValue(field: field, expected: "a finite number of seconds >= 0", found: String(v)) }
        w.f64(v)
    }

    private static func encodePayload(_ message: BenchControl, into w: inout WireWriter) throws(WireError) {
        switch message {
        case .hello(let rank, let endpoint, let publicKey):
            try putRank("hello.rank", rank, &w)
            try check("hello.endpoint", endpoint.utf8.count, WireCodec.maximumStringBytes)
            w.string(endpoint)
            try put("hello.publicKey", publicKey, &w)
        case .ring(let successor, let successorKey, let predecessorKey):
            try check("ring.successor", successor.utf8.count, WireCodec.maximumStringBytes)
            w.string(successor)
            try put("ring.successorKey", successorKey, &w)
            try put("ring.predecessorKey", predecessorKey, &w)
        case .ready(let rank):
            try putRank("ready.rank", rank, &w)
        case .go:
            break
        case .warmedUp(let rank, let secondsPerStep):
            try putRank("warmedUp.rank", rank, &w)
            guard secondsPerStep.isFinite && secondsPerStep > 0 else {
                throw .invalidValue(field: "warmedUp.secondsPerStep", expected: "a finite number of seconds > 0", found: String(secondsPerStep))
            }
            w.f64(secondsPerStep)
        case .trainWindow(let steps):
            guard steps >= 1 && steps <= maximumWindowSteps else {
                throw .invalidValue(field: "trainWindow.steps", expected: "1...\(maximumWindowSteps)", found: String(steps))
            }
            w.count(steps)
        case .windowTimes(let t):
            try putRank("windowTimes.rank", t.rank, &w)
            try check("windowTimes.index", t.index, maximumWindows - 1)
            try check("windowTimes.steps", t.steps, maximumWindowSteps)
            w.count(t.index); w.count(t.steps)
            try putSeconds("windowTimes.seconds", t.seconds, &w)
            try putSeconds("windowTimes.computeSeconds", t.computeSeconds, &w)
            try putSeconds("windowTimes.reduceSeconds", t.reduceSeconds, &w)
            try putSeconds("windowTimes.cpuSeconds", t.cpuSeconds, &w)
        case .allReduceTimes(let t):
            try putRank("allReduceTimes.rank", t.rank, &w)
            try check("allReduceTimes.sizeIndex", t.sizeIndex, maximumBufferSizes - 1)
            w.count(t.sizeIndex)
            try putSeconds("allReduceTimes.cpuSeconds", t.cpuSeconds, &w)
            try check("allReduceTimes.seconds", t.seconds.count, maximumRepetitions)
            w.count(t.seconds.count)
            for s in t.seconds { try putSeconds("allReduceTimes.seconds", s, &w) }
        case .weightsChecksum(let rank, let checksum):
            try putRank("weightsChecksum.rank", rank, &w)
            w.u64(checksum)
        case .weightsChecksums(let checksums):
            try check("weightsChecksums", checksums.count, WireCodec.maximumRingSize)
            w.count(checksums.count)
            for c in checksums { w.u64(c) }
        case .agreed(let rank):
            try putRank("agreed.rank", rank, &w)
        case .failed(let rank, let message):
            try putRank("failed.rank", rank, &w)
            try check("failed.message", message.utf8.count, WireCodec.maximumStringBytes)
            w.string(message)
        }
    }

    private static func seconds(_ field: String, _ r: inout WireReader) throws(WireError) -> Double {
        let v = try r.f64(field)
        guard v.isFinite && v >= 0 else { throw .invalidValue(field: field, expected: "a finite number of seconds >= 0", found: String(v)) }
        return v
    }

    private static func decodePayload(_ kind: WireKind, from r: inout WireReader) throws(WireError) -> BenchControl {
        switch kind {
        case .benchHello:
            return .hello(rank: try r.count("hello.rank", maximum: maximumRank), endpoint: try r.string("hello.endpoint"),
                          publicKey: try r.optionalString("hello.publicKey"))
        case .benchRing:
            return .ring(successor: try r.string("ring.successor"), successorKey: try r.optionalString("ring.successorKey"),
                         predecessorKey: try r.optionalString("ring.predecessorKey"))
        case .benchReady:
            return .ready(rank: try r.count("ready.rank", maximum: maximumRank))
        case .benchGo:
            return .go
        case .benchWarmedUp:
            let rank = try r.count("warmedUp.rank", maximum: maximumRank)
            let secondsPerStep = try r.f64("warmedUp.secondsPerStep")
            guard secondsPerStep.isFinite && secondsPerStep > 0 else {
                throw .invalidValue(field: "warmedUp.secondsPerStep", expected: "a finite number of seconds > 0", found: String(secondsPerStep))
            }
            return .warmedUp(rank: rank, secondsPerStep: secondsPerStep)
        case .benchTrainWindow:
            let steps = try r.count("trainWindow.steps", maximum: maximumWindowSteps)
            guard steps >= 1 else { throw .invalidValue(field: "trainWindow.steps", expected: "1...\(maximumWindowSteps)", found: "0") }
            return .trainWindow(steps: steps)
        case .benchWindowTimes:
            return .windowTimes(.init(
                rank: try r.count("windowTimes.rank", maximum: maximumRank),
                index: try r.count("windowTimes.index", maximum: maximumWindows - 1),
                steps: try r.count("windowTimes.steps", maximum: maximumWindowSteps),
                seconds: try seconds("windowTimes.seconds", &r), computeSeconds: try seconds("windowTimes.computeSeconds", &r),
                reduceSeconds: try seconds("windowTimes.reduceSeconds", &r), cpuSeconds: try seconds("windowTimes.cpuSeconds", &r)))
        case .benchAllReduceTimes:
            let rank = try r.count("allReduceTimes.rank", maximum: maximumRank)
            let sizeIndex = try r.count("allReduceTimes.sizeIndex", maximum: maximumBufferSizes - 1)
            let cpuSeconds = try seconds("allReduceTimes.cpuSeconds", &r)
            let n = try r.count("allReduceTimes.seconds", maximum: maximumRepetitions)
            var times: [Double] = []
            for _ in 0 ..< n { times.append(try seconds("allReduceTimes.seconds", &r)) }
            return .allReduceTimes(.init(rank: rank, sizeIndex: sizeIndex, cpuSeconds: cpuSeconds, seconds: times))
        case .benchWeightsChecksum:
            return .weightsChecksum(rank: try r.count("weightsChecksum.rank", maximum: maximumRank), checksum: try r.u64("weightsChecksum.checksum"))
        case .benchWeightsChecksums:
            let n = try r.count("weightsChecksums", maximum: WireCodec.maximumRingSize)
            var checksums: [UInt64] = []
            for _ in 0 ..< n { checksums.append(try r.u64("weightsChecksums.checksum")) }
            return .weightsChecksums(checksums)
        case .benchAgreed:
            return .agreed(rank: try r.count("agreed.rank", maximum: maximumRank))
        case .benchFailed:
            return .failed(rank: try r.count("failed.rank", maximum: maximumRank), message: try r.string("failed.message"))
        default:  // the cluster's kinds
            throw .wrongKind(found: kind, expected: expectedKinds)
        }
    }
}

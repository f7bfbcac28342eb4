/// The message kind in a frame header. Values are part of the wire format: never renumber.
///
/// Two families share the header: 1-255 are the cluster's control messages (``WireMessage``,
/// ``WireCodec``); 256 and up are a benchmark's rank processes talking to their launcher
/// (``BenchControl``, ``BenchControlCodec``). Each codec refuses the other family's kinds.
public enum WireKind: UInt16, Sendable, CaseIterable {
    case join = 1
    case admitted = 2
    case refusal = 3
    case assignment = 4
    case ready = 5
    case start = 6
    case heartbeat = 7
    case stepReport = 8
    case leave = 9
    case rejoin = 10
    case waiting = 11
    case stop = 12
    case checkpointOffer = 13
    case checkpointRequest = 14
    case checkpointChunk = 15
    case evaluationResult = 16
    // 17 and 18 were stateRequest and stateChunk, never sent (state travels as checkpoint
    // offers and chunks through the coordinator): retired, never reused.
    case runInfoRequest = 19
    case runInfo = 20
    case dataRequest = 21
    case dataChunk = 22
    case stepReplay = 23

    // Benchmark rank control (`bench allreduce`, `bench train --workers N`).
    case benchHello = 256
    case benchRing = 257
    case benchReady = 258
    case benchGo = 259
    case benchWarmedUp = 260
    case benchTrainWindow = 261
    case benchWindowTimes = 262
    case benchAllReduceTimes = 263
    case benchWeightsChecksum = 264
    case benchWeightsChecksums = 265
    case benchAgreed = 266
    case benchFailed = 267

    /// The first kind of the benchmark family.
    public static let firstBenchControl: UInt16 = 256

    /// Whether this kind is a benchmark rank's (``BenchControl``) rather than the cluster's.
    public var isBenchControl: Bool { rawValue >= Self.firstBenchControl }
}

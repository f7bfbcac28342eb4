import Coordination
import Wire

/// One message of every kind, with awkward values: Unicode, extremes, empty and present optionals.
let samples: [WireMessage] = {
    let ring = [RingMember(rank: 0, nodeID: "node-a", host: "höst-ä", endpoint: "tcp://10.0.0.1:5600"),
                RingMember(rank: 1, nodeID: "node-b", host: "b", endpoint: "tcp://[::1]:5601",
                           publicKey: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"),
                RingMember(rank: 2, nodeID: "", host: "", endpoint: "tcp://10.0.0.3:5602",
                           localEndpoint: "ipc://@cifake-ring-77-2a", locality: "6f1c0c8e-boot/net:[4026531840]")]
    return [
        .join(JoinRequest(role: .worker, version: "1.4.0", configDigest: "abc123", architectureDigest: "cnn2d-d4096",
                          parameterCount: 9_514_113, dataDigest: "sha256:0123", host: "node-b.example",
                          ringEndpoint: "tcp://10.0.0.2:5601", localRingEndpoint: "ipc://@cifake-ring-9-ß",
                          locality: "boot/net:[1]", computeThreads: 2, nodeID: "node-b#1", incarnation: .max, requestedRank: 1023,
                          publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")),
        .join(JoinRequest(role: .evaluator, version: "", configDigest: "", architectureDigest: "", parameterCount: 0,
                          dataDigest: "", host: "🙂", ringEndpoint: "", computeThreads: 0, nodeID: "eval", incarnation: 0)),
        .admitted(Admission(role: .worker, waitsForStepBoundary: true)),
        .refusal(JoinRefusal([.init(field: "configDigest", coordinator: "abc123", joiner: "def456"),
                              .init(field: "parameterCount", coordinator: "93057", joiner: "9514113")])),
        .refusal(JoinRefusal([])),
        .assignment(Assignment(rank: 1, worldSize: 3, generation: 7, ring: ring)),
        .ready(completedSteps: 123_456),
        .start(StartTraining(generation: 8, startStep: 500, stateSource: 0, needsState: [2, 3])),
        .start(StartTraining(generation: 9, startStep: 0, stateSource: nil, needsState: [])),
        .heartbeat(sequence: 0xDEAD_BEEF_0000_0001),
        .stepReport(StepReport(generation: 7, step: 42, epoch: 3, loss: 0.6931, accuracy: 0.5, samples: 32,
                               computeSeconds: 0.125, allReduceWaitSeconds: 0.004, weightChecksum: 0x0123_4567_89AB_CDEF,
                               ringSendBusySeconds: 0.2105)),
        .stepReport(StepReport(generation: 1, step: 0, loss: -.infinity, accuracy: 1, samples: 0,
                               computeSeconds: 0, allReduceWaitSeconds: 1e-300, weightChecksum: nil)),
        .stepReplay(StepReport(generation: 5, step: 90, epoch: 1, loss: 0.25, accuracy: 0.875, samples: 64,
                               computeSeconds: 0.05, allReduceWaitSeconds: 0.001, weightChecksum: nil)),
        .leave(reason: "SIGTERM"),
        .rejoin(reason: "not a member"),
        .waiting(have: 1, need: 2),
        .stop(.finished(step: 9999)),
        .stop(.weightsDiverged(step: 100, majority: 7, minority: [.init(rank: 2, checksum: 8)])),
        .stop(.weightsDiverged(step: 100, majority: nil, minority: [.init(rank: 0, checksum: 1), .init(rank: 1, checksum: 2)])),
        .stop(.tooFewWorkers(have: 1, need: 2, waitedSeconds: 300.5)),
        .stop(.requested("operator: Ctrl-C")),
        .stop(.suspended(step: 640, why: "SIGTERM")),
        .checkpointOffer(CheckpointOffer(step: 1000, totalBytes: 38_056_452, checksum: 99)),
        .checkpointRequest(ByteRangeRequest(step: 1000, offset: 4 << 20, length: 4 << 20)),
        .checkpointChunk(ByteChunk(step: 1000, offset: 10, total: 16, bytes: [1, 2, 3, 4, 5, 6])),
        .evaluationResult(EvaluationResult(step: 1000, validation: .init(loss: 0.12, accuracy: 0.95, f1: 0.94, auc: 0.99),
                                           test: .init(loss: 0.2, accuracy: 0.93, f1: 0.92, auc: nil))),
        .evaluationResult(EvaluationResult(step: 57, epoch: 1, validation: .init(loss: 0, accuracy: 1, f1: 1, auc: 1))),
        .evaluationResult(EvaluationResult(step: 3, validation: nil)),
        .dataRequest(ByteRangeRequest(step: 5, offset: 0, length: 1)),
        .dataChunk(ByteChunk(step: 5, offset: 0, total: 0, bytes: [])),
        .dataChunk(ByteChunk(step: 5, offset: 0, total: 300, bytes: (0 ..< 300).map { UInt8(truncatingIfNeeded: $0 &* 7) })),
        .runInfoRequest,
        .runInfo(RunInfo(configuration: Array("model: cnn2d\ndense: 32\n".utf8), dataBytes: 309_670_118, dataDigest: 0xfeed_beef)),
        .runInfo(RunInfo(configuration: Array("model: cnn2d\n".utf8), dataBytes: 1, dataDigest: 2,
                         resume: CheckpointOffer(step: 1_250, totalBytes: 114_000_000, checksum: 0xdead_beef))),
        .dataRequest(ByteRangeRequest(step: 0, offset: 4 << 20, length: 4 << 20)),
        .dataChunk(ByteChunk(step: 0, offset: 3, total: 10, bytes: [9, 8, 7])),
    ]
}()

/// The header's payload length replaced (to make truncated or extended payloads look consistent).
func patchedLength(_ frame: [UInt8], payloadLength: Int) -> [UInt8] {
    var f = frame
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: payloadLength).littleEndian) { for i in 0 ..< 4 { f[16 + i] = $0[i] } }
    return f
}

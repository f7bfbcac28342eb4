import Coordination

/// Every control message between the coordinator and workers or the evaluator.
/// Arrows give the usual direction.
public enum WireMessage: Sendable, Equatable {
    /// worker/evaluator -> coordinator.
    case join(JoinRequest)
    /// coordinator -> joiner.
    case admitted(Admission)
    /// coordinator -> joiner.
    case refusal(JoinRefusal)
    /// coordinator -> worker; its generation is the header's.
    case assignment(Assignment)
    /// worker -> coordinator: answer to an assignment with the steps its weights hold.
    case ready(completedSteps: Int)
    /// coordinator -> workers; its generation is the header's.
    case start(StartTraining)
    /// any -> coordinator.
    case heartbeat(sequence: UInt64)
    /// worker -> coordinator; its generation is the header's.
    case stepReport(StepReport)
    /// A step report sent again after the coordinator restarted, for the run's history only
    /// (the restarted coordinator never saw the steps trained while it was away).
    case stepReplay(StepReport)
    /// any -> coordinator.
    case leave(reason: String)
    /// coordinator -> a peer it does not know: join again.
    case rejoin(reason: String)
    /// coordinator -> workers: paused until `need` workers are in.
    case waiting(have: Int, need: Int)
    /// coordinator -> everyone.
    case stop(StopReason)
    /// worker -> coordinator.
    case checkpointOffer(CheckpointOffer)
    /// coordinator -> worker.
    case checkpointRequest(ByteRangeRequest)
    /// worker -> coordinator.
    case checkpointChunk(ByteChunk)
    /// evaluator -> coordinator.
    case evaluationResult(EvaluationResult)
    /// worker -> coordinator: what does this run train, and on which data?
    case runInfoRequest
    /// coordinator -> worker: the run's configuration and its packed data set's size and digest.
    case runInfo(RunInfo)
    /// worker -> coordinator: a byte range of the packed data set.
    case dataRequest(ByteRangeRequest)
    /// coordinator -> worker: that byte range.
    case dataChunk(ByteChunk)

    public var kind: WireKind {
        switch self {
        case .join: .join
        case .admitted: .admitted
        case .refusal: .refusal
        case .assignment: .assignment
        case .ready: .ready
        case .start: .start
        case .heartbeat: .heartbeat
        case .stepReport: .stepReport
        case .stepReplay: .stepReplay
        case .leave: .leave
        case .rejoin: .rejoin
        case .waiting: .waiting
        case .stop: .stop
        case .checkpointOffer: .checkpointOffer
        case .checkpointRequest: .checkpointRequest
        case .checkpointChunk: .checkpointChunk
        case .evaluationResult: .evaluationResult
        case .runInfoRequest: .runInfoRequest
        case .runInfo: .runInfo
        case .dataRequest: .dataRequest
        case .dataChunk: .dataChunk
        }
    }

    /// The generation a message carries itself (assignment, start, step report).
    public var ownGeneration: UInt64? {
        switch self {
        case .assignment(let a): a.generation
        case .start(let s): s.generation
        case .stepReport(let r), .stepReplay(let r): r.generation
        default: nil
        }
    }
}

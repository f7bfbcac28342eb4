import Coordination
import Logging
import Status

/// How the coordinator's state fills the status snapshot (`/status`, `/metrics`).
extension StatusSnapshot {
    /// Membership, phase and checkpoint, from the state machine's views.
    /// Cheap when nothing changed (called on every turn of the coordinator's loop): ranks change
    /// only with the generation, membership while waiting only in count.
    mutating func take(state: CoordinatorState) {
        let waiting: Bool
        switch state.phase {
        case .waiting: phase = "waiting"; waiting = true
        case .forming: phase = "forming"; waiting = false
        case .training: phase = "training"; waiting = false
        case .stopped: phase = "stopped"; waiting = false
        }
        if waiting || generation != state.generation || members.count != state.worldSize {
            members = state.ring.map { Member(rank: $0.rank, nodeID: $0.nodeID, host: $0.host) }
        }
        generation = state.generation
        if let step = state.lastCheckpointStep, lastCheckpoint?.step != step {
            lastCheckpoint = Checkpoint(step: step)
        }
    }

    /// The step every rank just completed (its 0-based index in the summary; 1-based here), and
    /// `stepSeconds` since the one before (nil for the first this process saw).
    mutating func take(summary s: StepSummary, stepSeconds: Double?) {
        step = s.step + 1
        epoch = s.epoch + 1
        loss = s.meanLoss
        imagesPerSecond = s.imagesPerSecond
        slowestRank = s.slowestRank
        perRank = s.perRank.map { RankTiming(rank: $0.rank, computeSeconds: $0.computeSeconds, allReduceWaitSeconds: $0.allReduceWaitSeconds) }
        countStep(images: s.samples, stepSeconds: stepSeconds, compute: s.perRank.map(\.computeSeconds),
                  allReduce: s.perRank.map(\.allReduceWaitSeconds))
    }

    /// An evaluation of the weights after `result.step`: its validation scores (rank 0's at an
    /// epoch end, or the evaluator's).
    mutating func take(evaluation result: EvaluationResult) {
        lastEvaluation = Evaluation(step: result.step, epoch: result.epoch, accuracy: result.validation?.accuracy, loss: result.validation?.loss)
    }
}

extension CoordinatorDirective.LogLevel {
    /// The pure state machine's level as swift-log's.
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

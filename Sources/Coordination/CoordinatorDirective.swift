/// What the coordinator's shell must do after an event: send a message, log, or stop.
/// Directives are returned in the order they should be carried out.
public enum CoordinatorDirective: Sendable, Equatable {
    public enum LogLevel: Sendable, Equatable { case debug, info, warning, error }

    /// Tell `peer` its join was accepted.
    case admit(PeerID, Admission)
    /// Tell `peer` its join was refused, and why.
    case refuse(PeerID, JoinRefusal)
    /// Send `peer` its place in a new generation.
    case assign(PeerID, Assignment)
    /// Tell every listed member to start (or resume) training.
    case startTraining(StartTraining, to: [PeerID])
    /// Tell `peer` it is not a member (declared dead or unknown) and must join again.
    case rejoin(PeerID)
    case log(LogLevel, String)
    /// A member left the ring; a new generation (or waiting) follows.
    case memberDead(rank: Int, nodeID: String, host: String, peer: PeerID, reason: DeathReason)
    /// Every rank reported this step.
    case progress(StepSummary)
    /// Every rank reported the same weight checksum after `step`: a checkpoint taken from any rank
    /// is the cluster's state.
    case weightsAgree(generation: UInt64, step: Int, checksum: UInt64)
    /// Training is paused (or not started) until enough workers join.
    case waitingForWorkers(have: Int, need: Int)
    /// Tell every listed process to stop; the run is over.
    case stop(StopReason, notify: [PeerID])
    /// Tell these workers to finish after `step` (early stopping); the run then ends normally.
    case finishAfter(step: Int, notify: [PeerID])
}

/// Sent to every member once all of a generation's members answered their assignment.
///
/// `startStep` is the index of the first step to run: the largest completed-step count among the
/// members that trained before (so no finished step is lost). Ranks listed in `needsState` hold
/// other weights (new joiners, ranks that were behind or ahead when the ring broke) and must first
/// copy the weights and optimizer state from `stateSource`, which holds exactly `startStep`
/// completed steps.
public struct StartTraining: Sendable, Equatable {
    public var generation: UInt64
    /// Index of the first step to run; every member holds weights after steps `0..<startStep`.
    public var startStep: Int
    /// Rank whose state the ranks in `needsState` copy; nil when nobody needs state.
    public var stateSource: Int?
    /// Ranks that must load the state of `stateSource` before step `startStep`.
    public var needsState: [Int]

    public init(generation: UInt64, startStep: Int, stateSource: Int?, needsState: [Int]) {
        self.generation = generation
        self.startStep = startStep
        self.stateSource = stateSource
        self.needsState = needsState
    }
}

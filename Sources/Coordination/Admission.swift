/// The coordinator's answer to an accepted join.
public struct Admission: Sendable, Equatable {
    public var role: JoinRequest.Role
    /// True when training is running: the worker becomes a member at the next step boundary,
    /// when a new generation forms. Until then it only heartbeats.
    public var waitsForStepBoundary: Bool

    public init(role: JoinRequest.Role, waitsForStepBoundary: Bool) {
        self.role = role
        self.waitsForStepBoundary = waitsForStepBoundary
    }
}

/// `resume`: what a start does with a run folder that already holds a run.
public enum ResumePolicy: String, CaseIterable, Sendable {
    /// A run of the same configuration continues from its newest intact checkpoint; a finished
    /// one is left alone (the start exits 0 at once).
    case auto
    /// A folder holding checkpoints is refused: every start is a new run.
    case never
}

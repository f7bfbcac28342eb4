/// The timed steps of a run: `steps` steps after `warmup` untimed ones. The clock starts when the
/// last warm-up step completes (a step log line stamps a step's end), so `warmup` is at least 1.
public struct StepWindow: Sendable, Equatable {
    public let warmup: Int
    public let steps: Int

    public init(warmup: Int, steps: Int) throws(ClusterBenchError) {
        guard warmup >= 1 else { throw .invalid(option: "--warmup", expected: "at least 1 step (the clock starts at its end)", found: "\(warmup)") }
        guard steps >= 2 else { throw .invalid(option: "--steps", expected: "at least 2 timed steps", found: "\(steps)") }
        self.warmup = warmup
        self.steps = steps
    }

    /// The step whose end starts the clock.
    public var reference: Int { warmup - 1 }
    public var first: Int { warmup }
    public var last: Int { warmup + steps - 1 }
    /// Steps the run must make for the window to be complete.
    public var total: Int { warmup + steps }
}

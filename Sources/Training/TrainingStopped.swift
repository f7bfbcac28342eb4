/// A run that stopped on request (SIGTERM or SIGINT, see `StopSignal`) between two steps, after
/// writing a final checkpoint of the last completed step: `cifake train --resume` continues it
/// exactly.
public struct TrainingStopped: Error, CustomStringConvertible, Equatable {
    /// `SIGTERM` or `SIGINT`.
    public var signal: String
    /// Optimizer steps completed, all of them in `checkpoint`.
    public var step: Int
    public var totalSteps: Int
    /// The final checkpoint's path.
    public var checkpoint: String
    public var runFolder: String

    public init(signal: String, step: Int, totalSteps: Int, checkpoint: String, runFolder: String) {
        self.signal = signal
        self.step = step
        self.totalSteps = totalSteps
        self.checkpoint = checkpoint
        self.runFolder = runFolder
    }

    public var description: String {
        "stopped by \(signal) after step \(step) of \(totalSteps); final checkpoint \(checkpoint); "
            + "continue with: cifake train --resume \(runFolder)"
    }
}

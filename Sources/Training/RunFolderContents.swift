import Checkpoints
import Foundation

/// What a run folder holds, as a start sees it: read once, then judged by ``RunFolderPlan``.
public struct RunFolderContents: Sendable {
    /// `config.yaml`, nil when absent.
    public var recorded: TrainingConfig?
    /// Steps of the checkpoint files present, ascending.
    public var checkpointSteps: [Int]
    public var hasModel: Bool
    public var hasMetrics: Bool

    public init(recorded: TrainingConfig? = nil, checkpointSteps: [Int] = [], hasModel: Bool = false, hasMetrics: Bool = false) {
        self.recorded = recorded
        self.checkpointSteps = checkpointSteps
        self.hasModel = hasModel
        self.hasMetrics = hasMetrics
    }

    /// Reads `folder` (a missing folder holds nothing); a `config.yaml` that does not load is an error.
    public static func read(_ folder: String) throws -> RunFolderContents {
        let files = FileManager.default
        var contents = RunFolderContents()
        if files.fileExists(atPath: "\(folder)/\(RunFolder.configFile)") {
            contents.recorded = try ConfigFile.load("\(folder)/\(RunFolder.configFile)")
        }
        contents.checkpointSteps = CheckpointStore(runFolder: folder, keep: 1).steps()
        contents.hasModel = files.fileExists(atPath: "\(folder)/\(RunFolder.modelFile)")
        contents.hasMetrics = files.fileExists(atPath: "\(folder)/\(RunFolder.metricsFile)")
        return contents
    }
}

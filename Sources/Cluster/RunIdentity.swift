import Checksums
import Coordination
import Dataset
import Model
import Status
import Training
import Wire

/// The facts every process of a run must agree on, and their digests.
public enum RunIdentity {
    /// Processes of different versions never join one run (a join compares this string).
    public static let version = "cifake \(ProgramIdentity.number) (wire \(WireHeader.currentVersion))"

    /// A digest of the settings that change the maths of training (not of paths, threads or
    /// where the run folder is).
    public static func configDigest(_ c: TrainingConfig) -> String {
        let fields = ["model=\(c.model)", "dense=\(c.dense)", "epochs=\(c.epochs)", "batch=\(c.batchSize)",
                    "lr=\(c.learningRate)", "schedule=\(c.schedule)", "warmup=\(c.warmupEpochs)",
                    "floor=\(c.minLearningRateFraction)", "seed=\(c.seed)", "validation=\(c.validationFraction)",
                    "flip=\(c.augmentFlip)", "shift=\(c.augmentShift)"]
            + (c.architecture.isExtended ? ["dropout=\(c.dropout)"] : [])  // only the extended head has one
            + (c.convolutions == .paper ? [] : ["conv=\(c.convolutions)"])  // absent for the paper's: older runs keep their digest
        let text = fields.joined(separator: ";")
        return Hex.string(XXH64.hash(Array(text.utf8)))
    }

    public static func dataDigest(_ dataset: CIFAKEDataset) -> String {
        Hex.string(dataset.digest)
    }


    public static func cluster(config: TrainingConfig, dataset: CIFAKEDataset) -> ClusterIdentity {
        ClusterIdentity(version: version, configDigest: configDigest(config),
                        architectureDigest: config.architecture.digest,
                        parameterCount: config.architecture.parameterCount, dataDigest: dataDigest(dataset))
    }
}

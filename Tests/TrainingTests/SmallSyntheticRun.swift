import Dataset
import TestSupport
import Training

/// The small run several resume tests start from: a generated set of 40 images per class (10 for
/// test) in `folder`/data, D=8, batch 16, 2 threads, the run folder `folder`/run; `adjust` sets
/// what the test is about.
func smallSyntheticRun(_ name: String, _ adjust: (inout TrainingConfig) -> Void) throws -> (folder: String, config: TrainingConfig) {
    let folder = Paths.temporaryFolder(name)
    try SyntheticCIFAKE.write(to: "\(folder)/data", trainPerClass: 40, testPerClass: 10, seed: 0)
    var config = TrainingConfig()
    config.dense = 8
    config.batchSize = 16
    config.threads = 2
    config.data = "\(folder)/data"
    config.out = "\(folder)/run"
    adjust(&config)
    return (folder, config)
}

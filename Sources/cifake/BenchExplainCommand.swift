import ArgumentParser
import Dataset
import Explanation
import Foundation
import Model
import Storage
import Training

/// `cifake bench explain`: the explanation methods' localisation benchmark and sanity check
/// (see `ExplanationBenchmark`), and with `--data` the share of non-empty maps on a real test set.
struct BenchExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Score Grad-CAM, Grad-CAM++, HiResCAM and LayerCAM against known artefact positions, trained vs randomised weights.",
        discussion: """
            Trains a small CNN2D on synthetic images whose FAKE artefact (an 8x8 checkerboard) sits somewhere else in \
            every image (or takes --model), explains the FAKE test images as FAKE with every method, and prints each \
            method's energy in the artefact's box and pointing-game score, the same with the model's weights \
            randomised, the rank correlation of the two maps, and the share of non-empty maps per class when each \
            test image is explained as its predicted class. A method whose maps survive randomised weights is \
            flagged. With --model and --data it prints only the non-empty shares on that data's test split.
            """)

    @Option(name: .customLong("train-per-class"), help: "Moving-artefact training images per class.")
    var trainPerClass = ExplanationBenchmark.Options().trainPerClass
    @Option(name: .customLong("test-per-class"), help: "Synthetic test images per class.")
    var testPerClass = ExplanationBenchmark.Options().testPerClass
    @Option(help: "Training epochs on the moving-artefact set.")
    var epochs = ExplanationBenchmark.Options().epochs
    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate = ExplanationBenchmark.Options().learningRate
    @Option(help: "Training seed.")
    var seed = ExplanationBenchmark.Options().seed
    @Option(help: "Compute threads.")
    var threads = 2
    @Option(help: "A model file to explain instead of training one (CNN2D or extended).")
    var model: String?
    @Option(help: "With --model: a CIFAKE folder or packed file; prints the non-empty shares on its test split.")
    var data: String?
    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func validate() throws {
        guard (1...100_000).contains(trainPerClass), (1...100_000).contains(testPerClass), (1...1000).contains(epochs), (1...256).contains(threads) else {
            throw ValidationError("--train-per-class and --test-per-class must be 1...100000, --epochs 1...1000, --threads 1...256")
        }
        if data != nil && model == nil { throw ValidationError("--data needs --model (the model to explain)") }
    }

    func run() throws {
        let network: Network?
        do {
            network = try model.map { path in
                let bytes = try AtomicFile.read(path)
                let (architecture, _) = try Network.architecture(ofModelFile: bytes, source: path)
                let network = Network(architecture: architecture, maxBatch: 64, threads: threads)
                try network.loadModelFile(bytes, source: path)
                return network
            }
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
        var object: [String: Any] = [:]
        if let network, let data {
            let test: ImageSet
            do {
                var options = TrainingConfig().loadOptions
                options.threads = threads
                test = try DataLoading.load(data, options: options, progress: ProgressReporter()).test
            } catch {
                throw CLIError.message("\(error)", code: 1)
            }
            let shares = ExplanationBenchmark.nonEmptyShares(network: network, test: test, methods: CAMMethod.allCases)
            print("non-empty maps for the predicted class on \(data)'s test split (\(test.count) images):")
            print("method        REAL    FAKE")
            for (method, share) in zip(CAMMethod.allCases, shares) {
                print(method.displayName.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "  %.4f  %.4f", share.real, share.fake))
                object[method.rawValue] = ["non_empty_real": share.real, "non_empty_fake": share.fake]
            }
        } else {
            var options = ExplanationBenchmark.Options()
            options.trainPerClass = trainPerClass
            options.testPerClass = testPerClass
            options.epochs = epochs
            options.seed = seed
            options.learningRate = learningRate
            options.threads = threads
            let result: ExplanationBenchmark.Result
            do { result = try ExplanationBenchmark.run(options, model: network) { log.info("\($0)") } } catch { throw CLIError.message("\(error)", code: 1) }
            for line in result.lines { print(line) }
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result))
            object = encoded as? [String: Any] ?? [:]
        }
        if let json {
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            do { try AtomicFile.write(Array(bytes) + [10], to: json) } catch { throw CLIError.message("\(error)", code: 1) }
        }
    }
}

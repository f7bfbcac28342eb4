import ArgumentParser
import Dataset
import Evaluation
import Foundation
import Model
import Storage
import Training

/// `cifake evaluate`: a trained model on a data set, with the paper's metrics.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model: accuracy, precision, recall, F1 per class, confusion matrix, ROC AUC.",
        discussion: """
            With a Kaggle-layout folder the test/ split is used; a folder with REAL/ and FAKE/ \
            directly is evaluated whole. Writes metrics.json next to the model unless --out says otherwise.
            """)

    @Option(name: .long, help: "Model file (model.safetensors of a run folder).")
    var model: String

    @Option(name: .long, help: "Data folder or packed file.")
    var data: String

    @Option(name: .long, help: "Where to write the metrics JSON (default: metrics-eval.json beside the model).")
    var out: String?

    @Flag(name: .long, help: "Print the metrics as JSON instead of a table.")
    var json = false

    @Option(name: .long, help: "Compute threads.")
    var threads: Int = 2

    func run() throws {
        do {
            let bytes = try AtomicFile.read(model)
            let (architecture, _) = try Network.architecture(ofModelFile: bytes, source: model)
            let network = Network(architecture: architecture, maxBatch: 256, threads: threads)
            try network.loadModelFile(bytes, source: model)
            let progress = ProgressReporter()
            let options = LoadOptions(badFiles: .skip, wrongSize: .refuse, splitSeed: 0, holdOutFraction: 1.0, threads: threads)
            let dataset = try DataLoading.load(data, options: options, progress: progress)
            let report = try ClassificationReport(probabilities: Trainer.predict(dataset.test, with: network), labels: dataset.test.labels)
            let path = out ?? ((model as NSString).deletingLastPathComponent.isEmpty ? "." : (model as NSString).deletingLastPathComponent) + "/metrics-eval.json"
            try MetricsFile.write(report, to: path, extra: ["model": architecture.modelName, "dense": architecture.hiddenWidth,
                                                           "architecture": architecture.displayName, "data": data, "model_file": model])
            if json {
                print(String(decoding: try AtomicFile.read(path), as: UTF8.self), terminator: "")
            } else {
                print("\(architecture.displayName) on \(data) (\(dataset.test.count) images)\n")
                print(report.table())
                print("\nwritten: \(path)")
            }
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
    }
}

import Checksums
import Dataset
import Evaluation
import Model
import Storage

/// The files a finished run leaves in its folder, written the same way by the single process and
/// by a cluster's coordinator: the kept model (`model.safetensors`), its scores on the test split
/// (`metrics.json`) and the report (`report/index.html`). `history.jsonl` is
/// ``EpochRecord/writeHistory(_:to:)``'s.
public enum RunOutputs {
    /// Writes the kept model's file, then `metrics.json`: the test split's scores of that model
    /// (`testProbabilities`, P(FAKE) per test image) with the run's context (architecture, data,
    /// test digest) and `extra`. Returns the scores.
    public static func writeModel(_ modelBytes: [UInt8], testProbabilities: [Float], architecture: Architecture, dataset: CIFAKEDataset,
                                  folder: String, extra: [String: Any]) throws -> ClassificationReport {
        try AtomicFile.write(modelBytes, to: "\(folder)/model.safetensors")
        let report = try ClassificationReport(probabilities: testProbabilities, labels: dataset.test.labels)
        var context: [String: Any] = [
            "model": architecture.modelName, "dense": architecture.hiddenWidth, "architecture": architecture.displayName,
            "data": dataset.root, "test_origin": "\(dataset.testOrigin)", MetricsFile.testDigestKey: Hex.string(dataset.test.digest),
        ]
        for (k, v) in extra { context[k] = v }
        try MetricsFile.write(report, to: "\(folder)/metrics.json", extra: context)
        return report
    }

    /// Writes the report; the run's results are safely written by then, so a failure is worth a
    /// warning, not the run. Returns the page's path, or nil.
    public static func writeReport(folder: String, test: ImageSet, threads: Int, progress: ProgressReporter) -> String? {
        do {
            let path = try RunReport.write(runFolder: folder, test: test, threads: threads, progress: progress)
            progress.log("report: \(path)")
            return path
        } catch {
            progress.log("warning: no report: \(error) (rebuild it with `cifake report \(folder)`)")
            return nil
        }
    }
}

import ArgumentParser
import Training

/// `cifake report`: (re)builds a run folder's `report/index.html` from its files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build a run folder's report: metrics, confusion matrix, ROC, curves and a Grad-CAM gallery.",
        discussion: """
            Reads metrics.json, model.safetensors, history.jsonl and config.yaml from RUN_DIR and writes \
            RUN_DIR/report/index.html with its PNG figures (opens offline). The gallery's test images come from \
            the config's test_data or data (a run on generated data uses RUN_DIR/synthetic-data), unless \
            --data or --test-data says otherwise.
            """)

    @Argument(help: "Run folder.")
    var runDir: String

    @Option(name: .long, help: "Data folder or packed file, instead of the config's data (same test split rules as training).")
    var data: String?

    @Option(name: .customLong("test-data"), help: "Test folder or packed file, used whole, instead of the config's test_data.")
    var testData: String?

    @Option(name: .long, help: "Compute threads for Grad-CAM.")
    var threads: Int = 2

    func run() throws {
        do {
            let index = try RunReport.write(runFolder: runDir, source: RunReport.DataSource(data: data, testData: testData),
                                            threads: threads)
            print(index)
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
    }
}

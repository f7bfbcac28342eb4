import ArgumentParser
import Explanation
import Training

/// `cifake report`: (re)builds a run folder's `report/index.html` from its files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build a run folder's report: metrics, confusion matrix, ROC, curves and an explanation gallery.",
        discussion: """
            Reads metrics.json, model.safetensors, history.jsonl and config.yaml from RUN_DIR and writes \
            RUN_DIR/report/index.html with its PNG figures (opens offline). The gallery's test images come from \
            the config's test_data or data (a run on generated data uses RUN_DIR/synthetic-data), unless \
            --data or --test-data says otherwise. The gallery's method, class and scale come from --explain, --target and \
            --explain-scale, else from the run's config.yaml (explain_method, explain_target, explain_scale).
            """)

    @Argument(help: "Run folder.")
    var runDir: String

    @Option(name: .long, help: "Data folder or packed file, instead of the config's data (same test split rules as training).")
    var data: String?

    @Option(name: .customLong("test-data"), help: "Test folder or packed file, used whole, instead of the config's test_data.")
    var testData: String?

    @Option(name: .long, help: "Compute threads for the explanations.")
    var threads: Int = 2

    @OptionGroup var explanation: ExplanationOptions

    func run() throws {
        do {
            var settings: ExplanationSettings?
            if !explanation.isEmpty {
                settings = try explanation.settings(over: (try? ConfigFile.load("\(runDir)/config.yaml"))?.explanation ?? ExplanationSettings())
            }
            let index = try RunReport.write(runFolder: runDir, source: RunReport.DataSource(data: data, testData: testData),
                                            threads: threads, explanation: settings)
            print(index)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
    }
}

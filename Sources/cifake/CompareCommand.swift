import ArgumentParser
import Evaluation
import Storage
import Training

/// `cifake compare`: the paper's "all algorithms performance" table across run folders.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs: a table of accuracy, precision, recall, F1, ROC AUC and epochs, and an HTML page of their curves.",
        discussion: """
            Reads each RUN_DIR's metrics.json (required; a finished run has one) and, when present, history.jsonl, \
            steps.jsonl and config.yaml. Prints a markdown table; --markdown and --json also write it to files (JSON \
            holds fractions, not percent). --html writes one self-contained page: per-step training loss and accuracy \
            (smoothed), validation accuracy and loss per epoch and the ROC curves of all runs on shared axes, the test \
            metrics side by side, and a warning when the runs' test sets differ (metrics.json's test_digest).

            Example: cifake compare runs/d32 runs/ext --html compare.html
            """)

    @Argument(help: "Run folders, one row each, in this order.")
    var runDirs: [String]

    @Option(name: .long, help: "Write the rows as JSON to this file.")
    var json: String?

    @Option(name: .long, help: "Write the markdown table to this file.")
    var markdown: String?

    @Option(name: .long, help: ArgumentHelp("Write an HTML page of the runs' curves and metrics to this file.", valueName: "file"))
    var html: String?

    func validate() throws {
        guard !runDirs.isEmpty else { throw ValidationError("expected at least one run folder, found none") }
    }

    func run() throws {
        var entries: [RunComparison.Entry] = []
        var runs: [RunFolder] = []
        var failures: [String] = []
        for folder in runDirs {
            do {
                let run = try RunFolder.load(folder)
                runs.append(run)
                entries.append(RunComparison.Entry(name: run.configurationName, report: run.metrics, run: run.name, epochs: run.epochs))
            } catch {
                failures.append(error.description)
            }
        }
        // Every bad folder at once, and no partial table that could pass for the whole.
        guard failures.isEmpty else {
            throw CLIError.message(failures.joined(separator: "\nerror: "), code: 1)
        }
        let comparison = RunComparison(entries)
        let table = comparison.markdown()
        do {
            if let markdown { try AtomicFile.write(table, to: markdown) }
            if let json { try AtomicFile.write(comparison.json(), to: json) }
            if let html { try AtomicFile.write(RunReport.comparisonPage(runs), to: html) }
        } catch {
            throw CLIError.message(error.description, code: 1)
        }
        print(table, terminator: "")
    }
}

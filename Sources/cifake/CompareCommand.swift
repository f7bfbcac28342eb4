import ArgumentParser
import Evaluation
import Storage
import Training

/// `cifake compare`: the paper's "all algorithms performance" table across run folders.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs: accuracy, precision, recall, F1, ROC AUC and epochs, one row per run folder.",
        discussion: """
            Reads each RUN_DIR's metrics.json (and history.jsonl or config.yaml when present). Prints a \
            markdown table; --markdown and --json also write it to files (JSON holds fractions, not percent).
            """)

    @Argument(help: "Run folders, one row each, in this order.")
    var runDirs: [String]

    @Option(name: .long, help: "Write the rows as JSON to this file.")
    var json: String?

    @Option(name: .long, help: "Write the markdown table to this file.")
    var markdown: String?

    func validate() throws {
        guard !runDirs.isEmpty else { throw ValidationError("expected at least one run folder, found none") }
    }

    func run() throws {
        var entries: [RunComparison.Entry] = []
        var failures: [String] = []
        for folder in runDirs {
            do {
                let run = try RunFolder.load(folder)
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
        } catch {
            throw CLIError.message(error.description, code: 1)
        }
        print(table, terminator: "")
    }
}

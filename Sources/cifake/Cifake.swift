import ArgumentParser
import BuildRevision
import Cluster
import Logs
import Status

@main
struct Cifake: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cifake",
        abstract: "Train and evaluate the CIFAKE real-vs-generated image detector (Deep Vision CNN).",
        version: program.line,
        subcommands: [
            TrainCommand.self,
            RetrainCommand.self,
            EvaluateCommand.self,
            PredictCommand.self,
            ReportCommand.self,
            CompareCommand.self,
            CoordinatorCommand.self,
            WorkerCommand.self,
            EvaluatorCommand.self,
            KeygenCommand.self,
            DataCommand.self,
            BenchCommand.self,
        ]
    )

    /// This build: `cifake --version`, `/metrics`' `cifake_info`, every run's provenance.
    static let program = ProgramIdentity(version: RunIdentity.version, revision: BuildRevision.id)

    static func main() {
        ProgramIdentity.current = program
        KernelLauncher.useFastKernels()
        do {
            var command = try parseAsRoot()
            // Every line of this process is labelled with its role: the subcommand's name
            // (`train`, `coordinator`, `worker`, ...); the launcher of `train --workers` relabels.
            ProcessLog.bootstrap(role: type(of: command).configuration.commandName ?? "cifake")
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Prepare CIFAKE data: pack folders into one file, or write a synthetic set.",
        subcommands: [DataPackCommand.self, DataSynthCommand.self, DataInfoCommand.self]
    )
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training throughput and all-reduce bandwidth on this machine, or of a cluster on simulated hosts; score the explanation methods.",
        subcommands: [BenchTrainCommand.self, BenchTrainRankCommand.self, BenchAllReduceCommand.self, BenchAllReduceRankCommand.self, BenchClusterCommand.self, BenchPowerSGDCommand.self, BenchExplainCommand.self]
    )
}

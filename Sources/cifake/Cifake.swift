import ArgumentParser

@main
struct Cifake: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cifake",
        abstract: "Train and evaluate the CIFAKE real-vs-generated image detector (Deep Vision CNN).",
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

    static func main() {
        KernelLauncher.useFastKernels()
        do {
            var command = try parseAsRoot()
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

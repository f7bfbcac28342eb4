import ArgumentParser
import ClusterBench
import Foundation
import Model
import Training

/// `cifake bench cluster`: the whole cluster's training throughput across simulated hosts, beside
/// the single process's on the same machine in the same sitting.
///
/// N+1 network namespaces on one bridge stand for N+1 machines on a switch; every link is shaped
/// both ways to `--rate`. Host 0 runs a real coordinator, hosts 1...N real workers (`ip netns exec
/// NS cifake ...`), which fetch the data from the coordinator and all-reduce over TCP between
/// the namespaces, CURVE-encrypted unless `--plain`. The coordinator's step log times the steps;
/// the workers' eth0 counters (read at the links' other ends, on the switch, all at one moment)
/// give the bytes on the wire.
struct BenchClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Images/s of a coordinator and N workers in network namespaces on shaped links, beside the single process (root; iproute2).",
        discussion: """
            Prints the cluster's images/s over the timed steps, the single process's (`cifake bench \
            train` with the same model, per-worker batch and threads, run first), the scaling \
            efficiency, the bytes on the wire per step (the workers' eth0 counters) and each step's \
            compute, all-reduce wait and other time (the coordinator's step log). Without --data the \
            coordinator gets a synthetic set of exactly warm-up + timed steps, so the run ends by \
            itself after one epoch; with --data the cluster is stopped after the timed steps. \
            The namespaces (cifake-bench-PID-*) are deleted at the end, on SIGINT/SIGTERM, and, \
            if a benchmark was killed outright, by the next one.
            """)

    @Option(help: "Worker hosts (each in its own namespace; the coordinator gets one more).")
    var hosts = 2

    @Option(help: "Rate of every link, each way, in tc's units (1gbit, 100mbit, ...); none: unshaped.")
    var rate = "1gbit"

    @Option(help: "Configuration to derive the run's from (model, dense, batch_size, augmentation...). Default: Config/cnn2d-d4096.yaml when it exists, else CNN2D D=4096, batch 128.")
    var config: String?

    @Option(help: "Compute threads per worker (and of the single process).")
    var threads = 1

    @Option(help: "Images per worker per step (the global batch is hosts x this). Default: the configuration's batch_size.")
    var batch: Int?

    @Option(help: "Timed steps.")
    var steps = 30

    @Option(help: "Untimed steps first (the clock starts at the end of the last).")
    var warmup = 5

    @Option(help: "Written into the run's configuration as `gradient_compression: METHOD`.")
    var compression: String?

    @Option(help: "Data folder or packed file for the coordinator (default: a synthetic set sized to the steps).")
    var data: String?

    @Flag(help: "transport_security: plain (default: CURVE, with keys from `cifake keygen`).")
    var plain = false

    @Flag(help: "Also print one JSON object with every figure at the end.")
    var json = false

    @Option(name: .customLong("single-seconds"), help: ArgumentHelp("Seconds per window of the single-process measurement (bench train's --seconds).", visibility: .hidden))
    var singleSeconds = 1.5

    @Flag(help: "Keep the work folder (configurations, keys, logs, step log) and print its path.")
    var keep = false

    func validate() throws {
        guard hosts >= 1 else { throw ValidationError("--hosts must be at least 1, found \(hosts)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
        guard singleSeconds > 0 else { throw ValidationError("--single-seconds must be > 0, found \(singleSeconds)") }
        guard (batch ?? 1) >= 1 else { throw ValidationError("--batch must be at least 1, found \(batch!)") }
        guard rate == "none" || LinkShaping.bitsPerSecond(rate) != nil else {
            throw ValidationError("--rate: expected none or a tc rate such as 1gbit, 100mbit, 500kbit, found '\(rate)'")
        }
        do {
            _ = try StepWindow(warmup: warmup, steps: steps)
            _ = try HostLayout(owner: getpid(), hosts: hosts + 1)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        guard getuid() == 0 else { throw CLIError.message("bench cluster: network namespaces need root", code: 2) }
        guard let ip = Tool.find("ip"), let tc = Tool.find("tc") else {
            throw CLIError.message("bench cluster: iproute2's ip and tc are needed (apt-get install iproute2)", code: 2)
        }
        let plan = try plan()
        let teardown = Teardown(ip: ip)
        teardown.handleSignals()
        defer { teardown.run() }
        do {
            let run = try ClusterBenchRun(plan: plan, ip: ip, tc: tc, teardown: teardown)
            if keep { teardown.keepFolder() }
            let record = try run.measure()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(record), as: UTF8.self))
            }
            if keep { print("work folder kept: \(run.folder)") }
        } catch {
            // Interrupted: the signal's thread is tearing down and exits with 128 + the signal.
            if error is Teardown.Interrupted || teardown.hasBegun { Thread.sleep(forTimeInterval: 60) }
            if error is ClusterBenchRun.Failure { teardown.keepFolder() }
            throw CLIError.message("bench cluster: \(error)", code: 1)
        }
    }

    /// The run's settings: the base configuration read, the defaults filled in.
    private func plan() throws -> ClusterBenchRun.Plan {
        let path = config ?? (FileManager.default.fileExists(atPath: "Config/cnn2d-d4096.yaml") ? "Config/cnn2d-d4096.yaml" : nil)
        let base: String
        if let path {
            do { base = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw CLIError.message("bench cluster: --config \(path): \(error.localizedDescription)", code: 2)
            }
        } else {
            base = "model: cnn2d\ndense: 4096\nbatch_size: 128\n"
        }
        let defaults = TrainingConfig()
        let model = DerivedConfig.value(of: "model", in: base) ?? defaults.model
        let denseText = DerivedConfig.value(of: "dense", in: base), batchText = DerivedConfig.value(of: "batch_size", in: base)
        guard let dense = denseText.map(Int.init) ?? defaults.dense, let baseBatch = batchText.map(Int.init) ?? defaults.batchSize else {
            throw CLIError.message("bench cluster: \(path ?? "configuration"): dense and batch_size must be integers, found '\(denseText ?? "")' and '\(batchText ?? "")'", code: 2)
        }
        let architecture: Architecture
        do { architecture = try Architecture(model: model, dense: dense) } catch {
            throw CLIError.message("bench cluster: \(path ?? "configuration"): \(error)", code: 2)
        }
        let perWorker = batch ?? baseBatch
        guard perWorker * hosts <= 8192 else {
            throw CLIError.message("bench cluster: the global batch \(hosts) x \(perWorker) exceeds batch_size's limit of 8192", code: 2)
        }
        return ClusterBenchRun.Plan(
            workers: hosts, rate: rate == "none" ? nil : rate, configPath: path, baseConfig: base, architecture: architecture,
            batchPerWorker: perWorker, threads: threads, window: try StepWindow(warmup: warmup, steps: steps),
            compression: compression, data: data, curve: !plain, singleSeconds: singleSeconds)
    }
}

import ArgumentParser
import Checksums
import Compression
import Foundation
import Kernels
import Model
import Training
import Wire

/// Options shared by `bench train` and the rank processes it starts with `--workers N`.
struct TrainBenchOptions: ParsableArguments {
    @Option(name: .long, help: "Model: cnn2d or cnn2d-ext.")
    var model = "cnn2d"

    @Option(name: .long, help: "Dense width for cnn2d.")
    var dense = 32

    @Option(name: .long, help: "Batch size (per worker process with --workers).")
    var batch = 128

    @Option(name: .long, help: "Compute threads (per worker process with --workers). Default: 2, or 1 with --workers > 1.")
    var threads: Int?

    @Option(name: .long, help: "Timed windows (the median is reported).")
    var windows = 5

    @Option(name: .long, help: "Seconds per window.")
    var seconds = 1.5

    @Option(name: .long, help: "Worker processes on 127.0.0.1, all-reducing gradients on a ring over ZeroMQ (1: this process alone).")
    var workers = 1

    @Option(help: "Ring transport with --workers: ipc (Unix sockets, as cluster workers on one host use) or tcp (127.0.0.1).")
    var transport = BenchRingTransport.ipc

    @Option(help: "Gradient compression with --workers: none, bf16 or powersgd (auto needs a cluster's rendezvous).")
    var compression = GradientCompression.none

    @Option(name: .customLong("compression-rank"), help: "PowerSGD's rank with --compression powersgd.")
    var compressionRank = 4

    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp("Deadline of every ring receive, milliseconds.", visibility: .hidden))
    var timeoutMilliseconds = 60_000

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be >= 1, found \(workers)") }
        guard batch >= 1 else { throw ValidationError("--batch must be >= 1, found \(batch)") }
        guard (threads ?? 1) >= 1 else { throw ValidationError("--threads must be >= 1, found \(threads ?? 0)") }
        guard compression != .auto else { throw ValidationError("--compression auto needs a cluster (cifake bench cluster); choose none, bf16 or powersgd") }
        guard (1...256).contains(compressionRank) else { throw ValidationError("--compression-rank must be 1...256, found \(compressionRank)") }
        guard windows >= 1, seconds > 0 else { throw ValidationError("--windows must be >= 1 and --seconds > 0, found \(windows) and \(seconds)") }
    }

    var computeThreads: Int { threads ?? (workers > 1 ? 1 : 2) }

    func architecture() throws -> Architecture {
        do { return try Architecture(model: model, dense: dense) } catch { throw ValidationError(error.description) }
    }

    /// The same options as command-line arguments, for the rank processes.
    var arguments: [String] {
        ["--model", model, "--dense", "\(dense)", "--batch", "\(batch)", "--threads", "\(computeThreads)",
         "--windows", "\(windows)", "--seconds", "\(seconds)", "--workers", "\(workers)", "--transport", transport.rawValue,
         "--compression", compression.rawValue, "--compression-rank", "\(compressionRank)",
         "--timeout-ms", "\(timeoutMilliseconds)"]
    }
}

/// `cifake bench train`: images/s of the training step on this machine's kernels; with
/// `--workers N`, of the whole cluster: N worker processes, each training on its own batch and
/// all-reducing the gradients on a ring between steps, as `cifake worker` does.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Images/s of forward + backward + Adam on random data, beside the physical limit; with --workers, of a local cluster.")

    @OptionGroup var options: TrainBenchOptions

    @Flag(name: .long, help: "Also print the time per step of every layer and direction (one process only).")
    var profile = false

    func validate() throws {
        guard !(profile && options.workers > 1) else { throw ValidationError("--profile measures one process: use it without --workers") }
    }

    func run() throws {
        let architecture = try options.architecture()
        if options.workers > 1 { return try runCluster(architecture) }
        let threads = options.computeThreads, batch = options.batch
        var bench = TrainingBenchmark(architecture: architecture, batch: batch, threads: threads)
        bench.windows = options.windows
        bench.windowSeconds = options.seconds
        bench.profile = profile
        print("model: \(architecture.displayName), \(architecture.parameterCount) parameters, batch \(batch), \(threads) threads")
        let result = try bench.run()
        print("kernels: \(Gemm.backendDescription); \(threads) lanes")
        for (name, ms) in result.layers { print(String(format: "  %-22@ %8.3f ms/step", name as NSString, ms)) }
        let peak = TrainingBenchmark.measureGemmPeak(threads: threads)
        let flops = TrainingBenchmark.flopsPerImage(architecture)
        let gflops = result.median * flops / 1e9
        let adamBytes = Double(architecture.parameterCount) * 4 * 7  // read w, g, m, v; write w, m, v
        print(String(format: "images/s: median %.0f (windows: %@)", result.median, Self.list(result.imagesPerSecond)))
        print(String(format: "work: %.1f MFLOP per image -> %.1f GFLOP/s achieved; sgemm peak measured now %.1f GFLOP/s (%.0f%%)",
                     flops / 1e6, gflops, peak, 100 * gflops / peak))
        print(String(format: "limit: %.0f images/s if every FLOP ran at the sgemm peak; Adam moves %.1f MB per step (%.2f ms at 10 GB/s)",
                     peak * 1e9 / flops, adamBytes / 1e6, adamBytes / 1e10 * 1e3))
    }

    /// The single process first (same batch and threads, same sitting), then the ranks:
    /// rendezvous, warm-up, a fixed number of steps per window (set from the slowest rank's
    /// warm-up, so every rank takes the same steps), one barrier per window, then the ranks
    /// check that their weights agree.
    private func runCluster(_ architecture: Architecture) throws {
        let n = options.workers, batch = options.batch, threads = options.computeThreads
        print("model: \(architecture.displayName), \(architecture.parameterCount) parameters, batch \(batch) per process, \(threads) thread(s) per process, ring over \(options.transport.label)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Self.loadAverage()) (1, 5, 15 min) before")
        var solo = TrainingBenchmark(architecture: architecture, batch: batch, threads: threads)
        solo.windows = options.windows
        solo.windowSeconds = options.seconds
        let (soloCPUStart, soloWallStart) = (CPUClock.processSeconds(), Date())
        let single = try solo.run()
        let soloShare = (CPUClock.processSeconds() - soloCPUStart) / Date().timeIntervalSince(soloWallStart)
        print(String(format: "single process, %d thread(s): images/s median %.0f (windows: %@); CPU %.0f%% of a core",
                     threads, single.median, Self.list(single.imagesPerSecond), 100 * soloShare))

        let ranks = try RankLauncher(workers: n, subcommand: ["bench", "train-rank"], arguments: options.arguments,
                                     timeoutMilliseconds: options.timeoutMilliseconds)
        try ranks.formRing()
        // Warm-up ends with every rank's time per step; every window then takes as many steps as
        // the slowest rank needs to fill --seconds.
        let warmup = try ranks.gather("warmedUp") { (m) -> Double? in
            guard case .warmedUp(_, let secondsPerStep) = m else { return nil }
            return secondsPerStep
        }
        let steps = max(1, Int((options.seconds / warmup.max()!).rounded(.up)))
        try ranks.broadcast(.trainWindow(steps: steps))
        var windows: [[TrainingBenchmark.Window]] = Array(repeating: [], count: n)
        var cpuSeconds = [Double](repeating: 0, count: n)
        for index in 0..<options.windows {
            if index > 0 { try ranks.barrier(release: .trainWindow(steps: steps)) }
            let times = try ranks.gather("windowTimes of window \(index), \(steps) steps") { (m) -> BenchControl.WindowTimes? in
                guard case .windowTimes(let t) = m, t.index == index, t.steps == steps else { return nil }
                return t
            }
            for (rank, t) in times.enumerated() {
                cpuSeconds[rank] += t.cpuSeconds
                windows[rank].append(.init(steps: steps, batch: batch, seconds: t.seconds, computeSeconds: t.computeSeconds, reduceSeconds: t.reduceSeconds))
            }
        }
        // The ranks compare their weights' checksums with everyone's and answer "agreed".
        let checksums = try ranks.gather("weightsChecksum") { (m) -> UInt64? in
            guard case .weightsChecksum(_, let checksum) = m else { return nil }
            return checksum
        }
        try ranks.broadcast(.weightsChecksums(checksums))
        _ = try ranks.gather("agreed") { $0.kind == .benchAgreed ? () : nil }
        try ranks.waitForExit()

        let cluster = (0..<options.windows).map { w in windows.reduce(0) { $0 + $1[w].imagesPerSecond } }
        let median = cluster.sorted()[cluster.count / 2]
        let megabytes = Double(architecture.parameterCount * MemoryLayout<Float>.size) / 1e6
        print(String(format: "cluster: %d worker processes on 127.0.0.1, ring all-reduce of %.1f MB of gradients per step over ZeroMQ, %d steps per window",
                     n, megabytes, steps))
        for (rank, list) in windows.enumerated() {
            let total = Double(list.count * steps)
            print(String(format: "  rank %d: compute %.2f ms/step, all-reduce %.2f ms/step (waiting for the slower peer included), %.0f images/s; CPU %.0f%% of a core",
                         rank, list.reduce(0) { $0 + $1.computeSeconds } / total * 1e3, list.reduce(0) { $0 + $1.reduceSeconds } / total * 1e3,
                         list.reduce(0) { $0 + $1.imagesPerSecond } / Double(list.count), 100 * cpuSeconds[rank] / list.reduce(0) { $0 + $1.seconds }))
        }
        print(String(format: "cluster images/s: median %.0f (windows: %@)", median, Self.list(cluster)))
        print(String(format: "scaling efficiency: %.0f%% of %d x the single process (%d x %.0f = %.0f images/s)",
                     100 * median / (Double(n) * single.median), n, n, single.median, Double(n) * single.median))
        // On a shared machine the ranks may get less than a core each: images per CPU-second
        // shows what the cluster's step costs beside the single process's, whatever the load.
        let clusterPerCPU = windows.reduce(0) { $0 + $1.reduce(0) { $0 + Double($1.steps * $1.batch) } } / cpuSeconds.reduce(0, +)
        let singlePerCPU = single.median / soloShare
        print(String(format: "per CPU-second (all threads, ZeroMQ's included): cluster %.0f images, single process %.0f (%.0f%%)",
                     clusterPerCPU, singlePerCPU, 100 * clusterPerCPU / singlePerCPU))
        print("weights: identical on all \(n) ranks after \(BenchTrainRankCommand.warmupSteps + options.windows * steps) steps (checksum \(Hex.string(checksums[0])))")
        print("peer: PyTorch DDP gloo, Intel machine, 2 processes x 1 thread, D=4096, batch 128 each: 1,016 images/s = 78% of 2 x its 1-thread single process (648)")
        print("machine: load average \(Self.loadAverage()) (1, 5, 15 min) after")
    }

    private static func list(_ values: [Double]) -> String {
        values.map { String(format: "%.0f", $0) }.joined(separator: ", ")
    }

    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "? ? ?"
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}

extension GradientCompression: ExpressibleByArgument {}

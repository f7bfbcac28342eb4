import ArgumentParser
import Collective
import Foundation
import Transport
import Wire

/// Options shared by `bench allreduce` and the rank processes it starts.
struct AllReduceBenchOptions: ParsableArguments {
    @Option(help: "Number of rank processes.")
    var workers: Int = 2

    @Option(parsing: .upToNextOption, help: "Buffer sizes in MiB of float32 (a list: --mib 4 16 64).")
    var mib: [Double] = [4, 16, 64]

    @Option(help: "Timed repetitions per size (the median is reported).")
    var iters: Int = 10

    @Option(help: "Untimed warm-up repetitions per size.")
    var warmup: Int = 3

    @Option(name: .customLong("per-rep"),
            help: "Back-to-back all-reduces per repetition (0: enough to move about 64 MiB, at least 2, as the gloo anchor does).")
    var perRepetition: Int = 0

    @Option(name: .customLong("chunk-kib"), help: "Chunk (frame payload) size in KiB.")
    var chunkKiB: Int = 1024

    @Option(name: .customLong("io-threads"), help: "ZeroMQ I/O threads per rank process.")
    var ioThreads: Int = 1

    @Option(help: """
        Ring transport: ipc (Unix sockets in the abstract namespace: what cluster workers on one host use) \
        or tcp (127.0.0.1, ports chosen at run time: what workers on different hosts use).
        """)
    var transport: BenchRingTransport = .ipc

    @Option(name: .customLong("socket-buffer-kib"), help: "Kernel socket buffer size in KiB (0 = OS default).")
    var socketBufferKiB: Int = 0

    @Flag(name: .customLong("default-malloc"), help: ArgumentHelp("Keep glibc's default malloc thresholds (to measure their cost).", visibility: .hidden))
    var defaultMalloc = false

    @Flag(help: "Encrypt and authenticate the ring with CURVE, as the cluster does (one key pair per rank, ZAP on every ring socket).")
    var curve = false

    @Flag(help: "Ranks print their main-thread and process CPU time per all-reduce.")
    var verbose = false

    @Option(name: .customLong("timeout-ms"), help: "Deadline of every receive, milliseconds.")
    var timeoutMilliseconds: Int = 30_000

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be >= 1, found \(workers)") }
        guard !mib.isEmpty, mib.allSatisfy({ $0 > 0 }) else { throw ValidationError("--mib needs sizes > 0") }
        guard iters >= 1, warmup >= 0 else { throw ValidationError("--iters must be >= 1 and --warmup >= 0") }
        guard perRepetition >= 0 else { throw ValidationError("--per-rep must be >= 0, found \(perRepetition)") }
        guard chunkKiB >= 1 else { throw ValidationError("--chunk-kib must be >= 1, found \(chunkKiB)") }
    }

    /// Elements of float32 in a buffer of `mib` MiB.
    static func elementCount(mib: Double) -> Int { Int(mib * 1_048_576) / MemoryLayout<Float>.size }

    var chunkElements: Int { chunkKiB * 1024 / MemoryLayout<Float>.size }

    /// All-reduces per timed repetition for a buffer of `mib` MiB.
    func allReducesPerRepetition(mib: Double) -> Int { perRepetition > 0 ? perRepetition : max(2, Int(64 / mib)) }

    /// The same options as command-line arguments, for the rank processes.
    var arguments: [String] {
        ["--workers", "\(workers)", "--mib"] + mib.map { "\($0)" } +
            ["--iters", "\(iters)", "--warmup", "\(warmup)", "--per-rep", "\(perRepetition)", "--chunk-kib", "\(chunkKiB)",
             "--timeout-ms", "\(timeoutMilliseconds)", "--io-threads", "\(ioThreads)",
             "--transport", transport.rawValue, "--socket-buffer-kib", "\(socketBufferKiB)"]
            + (defaultMalloc ? ["--default-malloc"] : []) + (verbose ? ["--verbose"] : []) + (curve ? ["--curve"] : [])
    }
}

/// `cifake bench allreduce`: ring all-reduce bandwidth between real processes on one host.
///
/// Starts `--workers` processes of this executable (`bench allreduce-rank`), which bind their ring
/// endpoints (ports or names chosen at run time) and report them to this process over a ROUTER
/// socket (`BenchControl` messages); this process sends each rank its successor's endpoint, then runs a barrier before every
/// repetition and collects every rank's timings. Measured as the gloo anchor and nccl-tests do: a
/// repetition is several back-to-back all-reduces of one buffer, its time per all-reduce is the
/// slowest rank's, and the median over repetitions is reported. Ranks check every sum bit for bit.
struct BenchAllReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Measure ring all-reduce bandwidth between worker processes over ZeroMQ (like nccl-tests).")

    @OptionGroup var options: AllReduceBenchOptions

    func run() throws {
        let n = options.workers
        let ranks = try RankLauncher(workers: n, subcommand: ["bench", "allreduce-rank"], arguments: options.arguments,
                                     timeoutMilliseconds: options.timeoutMilliseconds)
        try ranks.formRing()

        print("allreduce: \(n) processes, float32 sum, chunk \(options.chunkKiB) KiB, \(options.ioThreads) ZeroMQ I/O thread(s) per rank, \(options.transport.label)\(options.curve ? " with CURVE" : " plain"), \(options.warmup) warm-up + \(options.iters) timed repetitions of back-to-back all-reduces per size, results checked bit for bit by every rank")
        print("   size MiB   per rep   median ms     min ms   algbw GB/s   busbw GB/s   busbw@min GB/s   CPU ms/rank")
        for (sizeIndex, mib) in options.mib.enumerated() {
            for _ in 0..<(options.warmup + options.iters) { try ranks.barrier() }
            // Every rank's times per all-reduce; an all-reduce takes as long as its slowest rank.
            let times = try ranks.gather("allReduceTimes for size \(sizeIndex) with \(options.iters) repetitions") {
                (m) -> BenchControl.AllReduceTimes? in
                guard case .allReduceTimes(let t) = m, t.sizeIndex == sizeIndex, t.seconds.count == options.iters else { return nil }
                return t
            }
            let slowest = (0..<options.iters).map { i in times.map { $0.seconds[i] }.max()! }
            let cpuSeconds = times.reduce(0) { $0 + $1.cpuSeconds } / Double(n)
            let sorted = slowest.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            let minimum = sorted[0]
            let bytes = Double(AllReduceBenchOptions.elementCount(mib: mib) * MemoryLayout<Float>.size)
            let factor = n > 1 ? 2 * Double(n - 1) / Double(n) : 1
            let algbw = bytes / median / 1e9
            print(String(format: "%11.2f %9d %11.3f %10.3f %12.3f %12.3f %16.3f %13.3f", mib, options.allReducesPerRepetition(mib: mib),
                         median * 1e3, minimum * 1e3,
                         algbw, algbw * factor, bytes / minimum / 1e9 * factor, cpuSeconds * 1e3))
        }
        try ranks.waitForExit()
    }
}

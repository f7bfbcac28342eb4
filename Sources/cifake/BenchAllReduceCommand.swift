import ArgumentParser
import Collective
import Foundation
import Transport

/// Options shared by `bench allreduce` and the rank processes it starts.
struct AllReduceBenchOptions: ParsableArguments {
    @Option(help: "Number of rank processes.")
    var workers: Int = 2

    @Option(parsing: .upToNextOption, help: "Buffer sizes in MiB of float32 (a list: --mib 4 16 64).")
    var mib: [Double] = [4, 16, 64]

    @Option(help: "Timed all-reduces per size.")
    var iters: Int = 10

    @Option(help: "Untimed warm-up all-reduces per size.")
    var warmup: Int = 3

    @Option(name: .customLong("chunk-kib"), help: "Chunk (frame payload) size in KiB.")
    var chunkKiB: Int = 1024

    @Option(name: .customLong("io-threads"), help: "ZeroMQ I/O threads per rank process.")
    var ioThreads: Int = 1

    @Option(help: "Ring transport: tcp (127.0.0.1, ports chosen at run time) or ipc (Unix domain sockets).")
    var transport: String = "tcp"

    @Option(name: .customLong("socket-buffer-kib"), help: "Kernel socket buffer size in KiB (0 = OS default).")
    var socketBufferKiB: Int = 0

    @Flag(name: .customLong("default-malloc"), help: ArgumentHelp("Keep glibc's default malloc thresholds (to measure their cost).", visibility: .hidden))
    var defaultMalloc = false

    @Flag(help: "Ranks print their main-thread and process CPU time per all-reduce.")
    var verbose = false

    @Option(name: .customLong("timeout-ms"), help: "Deadline of every receive, milliseconds.")
    var timeoutMilliseconds: Int = 30_000

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be >= 1, found \(workers)") }
        guard !mib.isEmpty, mib.allSatisfy({ $0 > 0 }) else { throw ValidationError("--mib needs sizes > 0") }
        guard iters >= 1, warmup >= 0 else { throw ValidationError("--iters must be >= 1 and --warmup >= 0") }
        guard ["tcp", "ipc"].contains(transport) else { throw ValidationError("--transport must be tcp or ipc, found \(transport)") }
        guard chunkKiB >= 1 else { throw ValidationError("--chunk-kib must be >= 1, found \(chunkKiB)") }
    }

    /// Elements of float32 in a buffer of `mib` MiB.
    static func elementCount(mib: Double) -> Int { Int(mib * 1_048_576) / MemoryLayout<Float>.size }

    var chunkElements: Int { chunkKiB * 1024 / MemoryLayout<Float>.size }

    /// The same options as command-line arguments, for the rank processes.
    var arguments: [String] {
        ["--workers", "\(workers)", "--mib"] + mib.map { "\($0)" } +
            ["--iters", "\(iters)", "--warmup", "\(warmup)", "--chunk-kib", "\(chunkKiB)",
             "--timeout-ms", "\(timeoutMilliseconds)", "--io-threads", "\(ioThreads)",
             "--transport", transport, "--socket-buffer-kib", "\(socketBufferKiB)"]
            + (defaultMalloc ? ["--default-malloc"] : []) + (verbose ? ["--verbose"] : [])
    }
}

/// `cifake bench allreduce`: ring all-reduce bandwidth between real processes on 127.0.0.1.
///
/// Starts `--workers` processes of this executable (`bench allreduce-rank`), which bind their ring
/// endpoints on ports chosen at run time and report them to this process over a ROUTER socket;
/// this process sends each rank its successor's endpoint, then runs a barrier before every
/// all-reduce and collects every rank's timings. Ranks check the sums themselves.
struct BenchAllReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Measure ring all-reduce bandwidth between worker processes over ZeroMQ (like nccl-tests).")

    @OptionGroup var options: AllReduceBenchOptions

    func run() throws {
        let n = options.workers
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.linger, 0)
        try router.bind("tcp://127.0.0.1:*")
        let coordinator = try router.lastEndpoint()

        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning { process.terminate() }
        }
        for rank in 0..<n {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["bench", "allreduce-rank", "--coordinator", coordinator, "--rank", "\(rank)"] + options.arguments
            try process.run()
            processes.append(process)
        }

        // Receives one control message [identity, text]; fails if a rank died or nothing came.
        func receive() throws -> (identity: [UInt8], words: [Substring]) {
            var waited = 0
            while true {
                if let parts = try router.receiveMultipart(timeoutMilliseconds: 500), parts.count == 2 {
                    let text = String(decoding: parts[1], as: UTF8.self)
                    let words = text.split(separator: " ")
                    if words.first == "error" {
                        throw ValidationError("rank \(words.dropFirst().first ?? "?") failed: \(words.dropFirst(2).joined(separator: " "))")
                    }
                    return (parts[0], words)
                }
                waited += 500
                for (rank, process) in processes.enumerated() where !process.isRunning {
                    throw ValidationError("rank \(rank) exited with status \(process.terminationStatus)")
                }
                if waited > options.timeoutMilliseconds + 5_000 {
                    throw ValidationError("no message from the ranks within \(waited) ms")
                }
            }
        }

        // Rendezvous: "hello <rank> <endpoint>" from every rank, then "ring <successor endpoint>".
        var identities = [[UInt8]](repeating: [], count: n)
        var endpoints = [String](repeating: "", count: n)
        for _ in 0..<n {
            let (identity, words) = try receive()
            guard words.count == 3, words[0] == "hello", let rank = Int(words[1]), (0..<n).contains(rank) else {
                throw ValidationError("expected 'hello <rank> <endpoint>', found '\(words.joined(separator: " "))'")
            }
            identities[rank] = identity
            endpoints[rank] = String(words[2])
        }
        for rank in 0..<n {
            try router.sendMultipart([identities[rank], Array("ring \(endpoints[(rank + 1) % n])".utf8)])
        }

        print("allreduce: \(n) processes, float32 sum, chunk \(options.chunkKiB) KiB, \(options.ioThreads) ZeroMQ I/O thread(s) per rank, \(options.transport), \(options.warmup) warm-up + \(options.iters) timed per size, results checked by every rank")
        print("   size MiB   median ms     min ms   algbw GB/s   busbw GB/s   busbw@min GB/s   CPU ms/rank")
        for (sizeIndex, mib) in options.mib.enumerated() {
            // Barriers: every rank says "ready", then all get "go".
            for _ in 0..<(options.warmup + options.iters) {
                for _ in 0..<n {
                    let (_, words) = try receive()
                    guard words.first == "ready" else {
                        throw ValidationError("expected 'ready', found '\(words.joined(separator: " "))'")
                    }
                }
                for rank in 0..<n { try router.sendMultipart([identities[rank], Array("go".utf8)]) }
            }
            // Timings: "times <rank> <size index> <seconds>..." from every rank; an all-reduce
            // takes as long as its slowest rank.
            var slowest = [Double](repeating: 0, count: options.iters)
            var cpuSeconds = 0.0
            for _ in 0..<n {
                let (_, words) = try receive()
                guard words.count == 4 + options.iters, words[0] == "times", Int(words[2]) == sizeIndex else {
                    throw ValidationError("expected 'times <rank> \(sizeIndex) <cpu> <\(options.iters) values>', found '\(words.prefix(4).joined(separator: " "))...'")
                }
                cpuSeconds += (Double(words[3]) ?? 0) / Double(n)
                for i in 0..<options.iters { slowest[i] = max(slowest[i], Double(words[4 + i]) ?? .infinity) }
            }
            let sorted = slowest.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            let minimum = sorted[0]
            let bytes = Double(AllReduceBenchOptions.elementCount(mib: mib) * MemoryLayout<Float>.size)
            let factor = n > 1 ? 2 * Double(n - 1) / Double(n) : 1
            let algbw = bytes / median / 1e9
            print(String(format: "%11.2f %11.3f %10.3f %12.3f %12.3f %16.3f %13.3f", mib, median * 1e3, minimum * 1e3,
                         algbw, algbw * factor, bytes / minimum / 1e9 * factor, cpuSeconds * 1e3))
        }
        for (rank, process) in processes.enumerated() {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ValidationError("rank \(rank) exited with status \(process.terminationStatus)")
            }
        }
    }
}

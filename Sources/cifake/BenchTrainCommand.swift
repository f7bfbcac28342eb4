import ArgumentParser
import Foundation
import Kernels
import Model
import Training

/// `cifake bench train`: images/s of the training step on this machine's kernels.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Images/s of forward + backward + Adam on random data, beside the physical limit.")

    @Option(name: .long, help: "Model: cnn2d or cnn2d-ext.")
    var model = "cnn2d"

    @Option(name: .long, help: "Dense width for cnn2d.")
    var dense = 32

    @Option(name: .long, help: "Batch size.")
    var batch = 128

    @Option(name: .long, help: "Compute threads.")
    var threads = 2

    @Option(name: .long, help: "Timed windows (the median is reported).")
    var windows = 5

    @Option(name: .long, help: "Seconds per window.")
    var seconds = 1.5

    @Flag(name: .long, help: "Also print the time per step of every layer and direction.")
    var profile = false

    func run() throws {
        let architecture: Architecture
        do { architecture = try Architecture(model: model, dense: dense) } catch { throw ValidationError(error.description) }
        var bench = TrainingBenchmark(architecture: architecture, batch: batch, threads: threads)
        bench.windows = windows
        bench.windowSeconds = seconds
        bench.profile = profile
        print("model: \(architecture.displayName), \(architecture.parameterCount) parameters, batch \(batch), \(threads) threads")
        let result = bench.run()
        print("kernels: \(Gemm.backendDescription); \(threads) lanes")
        for (name, ms) in result.layers { print(String(format: "  %-22@ %8.3f ms/step", name as NSString, ms)) }
        let peak = TrainingBenchmark.measureGemmPeak(threads: threads)
        let flops = TrainingBenchmark.flopsPerImage(architecture)
        let gflops = result.median * flops / 1e9
        let adamBytes = Double(architecture.parameterCount) * 4 * 7  // read w, g, m, v; write w, m, v
        print(String(format: "images/s: median %.0f (windows: %@)", result.median,
                     result.imagesPerSecond.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        print(String(format: "work: %.1f MFLOP per image -> %.1f GFLOP/s achieved; sgemm peak measured now %.1f GFLOP/s (%.0f%%)",
                     flops / 1e6, gflops, peak, 100 * gflops / peak))
        print(String(format: "limit: %.0f images/s if every FLOP ran at the sgemm peak; Adam moves %.1f MB per step (%.2f ms at 10 GB/s)",
                     peak * 1e9 / flops, adamBytes / 1e6, adamBytes / 1e10 * 1e3))
    }
}

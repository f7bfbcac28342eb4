import ArgumentParser
import Compression
import Foundation
import Cluster
import Training
import Transport

/// One worker of `bench train --workers N` (hidden; started by it): the cluster worker's training
/// step (`BenchmarkReplica` with the cluster's `RingReducer` over a `ZeroMQRingLink`) on random
/// data, in timed windows between barriers. At the end every rank checks that all ranks' weights
/// are bitwise identical, and fails otherwise.
struct BenchTrainRankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-rank",
        abstract: "One worker of 'bench train --workers N' (started by it).",
        shouldDisplay: false)

    @OptionGroup var rankArguments: RankArguments
    var rank: Int { rankArguments.rank }

    @OptionGroup var options: TrainBenchOptions

    /// Warm-up steps before the first window; the last one sets the window length.
    static let warmupSteps = 3

    func run() throws {
        ReceiveAllocator.keepFreedMessageMemory()
        let channel = try RankChannel(rankArguments, timeoutMilliseconds: options.timeoutMilliseconds + 5_000)
        try channel.reportingErrors { try runRank(channel) }
    }

    private func runRank(_ channel: RankChannel) throws {
        let architecture = try options.architecture()
        let link = try ZeroMQRingLink(context: channel.context, bind: options.transport.bindEndpoint(rank: rank))
        defer { link.close() }
        try channel.joinRing(link)
        let reducer = RingReducer(link: link, rank: rank, worldSize: options.workers, elementCount: architecture.parameterCount,
                                  generation: 1, timeoutMilliseconds: options.timeoutMilliseconds,
                                  compression: options.compression, layout: architecture.layout, compressionRank: options.compressionRank)
        let replica = BenchmarkReplica(architecture: architecture, batch: options.batch, threads: options.computeThreads, reducer: reducer)
        var last = TrainingBenchmark.Window()
        for _ in 0..<Self.warmupSteps { last = try TrainingBenchmark.measureWindow(replica, until: .steps(1)) }

        var extra = "\(last.seconds)"
        for index in 0..<options.windows {
            let go = try channel.barrier(extra: extra)
            guard go.count == 1, let steps = Int(go[0]), steps >= 1 else {
                throw RankError.unexpected(rank: rank, expected: "go <steps>", found: "go " + go.joined(separator: " "))
            }
            let cpuStart = CPUClock.processSeconds()
            let window = try TrainingBenchmark.measureWindow(replica, until: .steps(steps))
            let cpu = CPUClock.processSeconds() - cpuStart
            try channel.send("window \(rank) \(index) \(steps) \(window.seconds) \(window.computeSeconds) \(window.reduceSeconds) \(cpu)")
            extra = ""
        }

        let mine = String(format: "%016llx", replica.network.parameters.checksum())
        try channel.send("checksum \(rank) \(mine)")
        let all = try channel.receive("checksums")
        guard all.count == options.workers else {
            throw RankError.unexpected(rank: rank, expected: "checksums <\(options.workers) values>", found: "\(all.count) values")
        }
        for (other, checksum) in all.enumerated() where checksum != mine {
            throw RankError.weightsDiffer(rank: rank, steps: replica.steps, checksum: mine, otherRank: other, otherChecksum: String(checksum))
        }
        try channel.send("agree \(rank)")
        if reducer.droppedFrames > 0 {
            FileHandle.standardError.write(Data("rank \(rank): \(reducer.droppedFrames) stale ring frames dropped\n".utf8))
        }
    }
}

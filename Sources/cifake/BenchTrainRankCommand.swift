import ArgumentParser
import Checksums
import Compression
import Foundation
import Cluster
import Training
import Transport
import Wire

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

        // The first arrival says how long a step took; the launcher answers every arrival with
        // the window's steps.
        var arrival = BenchControl.warmedUp(rank: rank, secondsPerStep: last.seconds)
        for index in 0..<options.windows {
            try channel.send(arrival)
            arrival = .ready(rank: rank)
            let steps = try channel.receive("trainWindow") { (m) -> Int? in
                guard case .trainWindow(let steps) = m else { return nil }
                return steps
            }
            let cpuStart = CPUClock.processSeconds()
            let window = try TrainingBenchmark.measureWindow(replica, until: .steps(steps))
            let cpu = CPUClock.processSeconds() - cpuStart
            try channel.send(.windowTimes(.init(rank: rank, index: index, steps: steps, seconds: window.seconds,
                                                computeSeconds: window.computeSeconds, reduceSeconds: window.reduceSeconds, cpuSeconds: cpu)))
        }

        let mine = replica.network.parameters.checksum()
        try channel.send(.weightsChecksum(rank: rank, checksum: mine))
        let all = try channel.receive("weightsChecksums of \(options.workers) ranks") { (m) -> [UInt64]? in
            guard case .weightsChecksums(let all) = m, all.count == options.workers else { return nil }
            return all
        }
        for (other, checksum) in all.enumerated() where checksum != mine {
            throw RankError.weightsDiffer(rank: rank, steps: replica.steps, checksum: Hex.string(mine), otherRank: other, otherChecksum: Hex.string(checksum))
        }
        try channel.send(.agreed(rank: rank))
        if reducer.droppedFrames > 0 {
            FileHandle.standardError.write(Data("rank \(rank): \(reducer.droppedFrames) stale ring frames dropped\n".utf8))
        }
    }
}

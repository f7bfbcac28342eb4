import ArgumentParser
import Collective
import Foundation
import Transport
import Wire

/// One rank of `bench allreduce` (hidden; started by it). Binds its ring endpoint on a port chosen
/// at run time, reports it to the coordinator, runs repetitions of back-to-back all-reduces between
/// barriers and checks every result bit for bit: rank r's element i is (7 i + 13 r) mod 1000, an
/// integer, so the first sum is exact in float32, and each further all-reduce adds N equal values.
struct BenchAllReduceRankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce-rank",
        abstract: "One rank of 'bench allreduce' (started by it).",
        shouldDisplay: false)

    @OptionGroup var rankArguments: RankArguments
    var rank: Int { rankArguments.rank }

    @OptionGroup var options: AllReduceBenchOptions

    static func value(element i: Int, rank r: Int) -> Float { Float((7 &* i &+ 13 &* r) % 1000) }

    func run() throws {
        if !options.defaultMalloc {
            guard ReceiveAllocator.keepFreedMessageMemory() else {
                throw ValidationError("rank \(rank): mallopt refused the receive-buffer thresholds")
            }
        }
        let channel = try RankChannel(rankArguments, ioThreads: options.ioThreads,
                                      timeoutMilliseconds: options.timeoutMilliseconds + 5_000)
        try channel.reportingErrors { try runRank(channel) }
    }

    private func runRank(_ channel: RankChannel) throws {
        let n = options.workers
        let timeout = options.timeoutMilliseconds
        let bind = options.transport.bindEndpoint(rank: rank)
        let curve = options.curve ? try ZMQCurveKeyPair.generate() : nil
        let zap = curve == nil ? nil : try ZAPHandler(context: channel.context, authorized: []) { [rank] in
            FileHandle.standardError.write(Data("rank \(rank): \($0)\n".utf8))
        }
        defer { zap?.stop() }
        let link = try ZeroMQRingLink(context: channel.context, bind: bind,
                                      kernelBufferBytes: options.socketBufferKiB > 0 ? options.socketBufferKiB * 1024 : nil,
                                      curve: curve, zap: zap)
        defer { link.close() }
        try channel.joinRing(link, zap: zap)

        for (sizeIndex, mib) in options.mib.enumerated() {
            let count = AllReduceBenchOptions.elementCount(mib: mib)
            let schedule = RingSchedule(worldSize: n, rank: rank, elementCount: count,
                                        chunkElements: options.chunkElements)
            let initial = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            let expected = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            // False while libzmq may still read `buffer`: after a failed all-reduce its queued
            // zero-copy frames point into it (RingAllReduce.run's contract), so it is freed only
            // once they are released, and otherwise left to the exiting process.
            var bufferReleased = true
            defer {
                initial.deallocate(); expected.deallocate()
                if bufferReleased { buffer.deallocate() }
            }
            let rank = self.rank
            // After one all-reduce every rank holds the exact integer sum; each further one adds N
            // equal values in ring order, computed here with the same float additions.
            let perRepetition = options.allReducesPerRepetition(mib: mib)
            for i in 0..<count {
                initial[i] = Self.value(element: i, rank: rank)
                var sum: Float = 0
                for r in 0..<n { sum += Self.value(element: i, rank: r) }
                for _ in 1..<perRepetition {
                    let each = sum
                    for _ in 1..<n { sum = sum + each }
                }
                expected[i] = sum
            }
            var times: [Double] = []
            var cpuSeconds = 0.0
            var threadSeconds = 0.0
            let clock = ContinuousClock()
            let warmup = options.warmup, repetitions = options.warmup + options.iters
            var allReduces: UInt32 = 0
            for repetition in 0..<repetitions {
                _ = buffer.update(fromContentsOf: initial)
                try channel.barrier()
                let start = clock.now
                let cpuStart = CPUClock.processSeconds()
                let threadStart = CPUClock.threadSeconds()
                for _ in 0..<perRepetition {
                    do {
                        _ = try RingAllReduce.run(buffer: buffer, schedule: schedule, link: link,
                                                  generation: UInt64(sizeIndex + 1), step: allReduces,
                                                  timeoutMilliseconds: timeout)
                    } catch {
                        link.close()
                        bufferReleased = (try? link.waitUntilSendsReleased(timeoutMilliseconds: 1_000)) ?? false
                        throw error
                    }
                    allReduces &+= 1
                }
                let elapsed = clock.now - start
                if repetition >= warmup {
                    cpuSeconds += (CPUClock.processSeconds() - cpuStart) / Double(perRepetition)
                    threadSeconds += (CPUClock.threadSeconds() - threadStart) / Double(perRepetition)
                    times.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(perRepetition))
                }
                if memcmp(buffer.baseAddress!, expected.baseAddress!, count * MemoryLayout<Float>.size) != 0 {
                    let bad = (0..<count).first { buffer[$0].bitPattern != expected[$0].bitPattern }!
                    throw ValidationError("rank \(rank): size \(mib) MiB repetition \(repetition): element \(bad) expected \(expected[bad]), found \(buffer[bad])")
                }
            }
            if options.verbose {
                FileHandle.standardError.write(Data("rank \(rank) size \(mib): main thread CPU \(threadSeconds / Double(times.count) * 1e3) ms, process \(cpuSeconds / Double(times.count) * 1e3) ms\n".utf8))
            }
            try channel.send(.allReduceTimes(.init(rank: rank, sizeIndex: sizeIndex, cpuSeconds: cpuSeconds / Double(times.count), seconds: times)))
        }
    }
}

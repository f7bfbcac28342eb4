import Foundation

extension ClusterBenchResult {
    /// The human summary, one figure per line.
    public var lines: [String] {
        var out: [String] = []
        let n = Double(workers)
        out.append(String(format: "cluster images/s: %.0f over steps %d-%d (%d timed steps of %.0f images, %.3f s each, as the coordinator saw them end)",
                          clusterImagesPerSecond, firstStep, lastStep, timedSteps, imagesPerStep, stepSeconds))
        out.append(String(format: "single process images/s: %.0f", singleImagesPerSecond))
        out.append(String(format: "scaling efficiency: %.0f%% (%.0f / (%d x %.0f = %.0f))",
                          100 * scalingEfficiency, clusterImagesPerSecond, workers, singleImagesPerSecond, n * singleImagesPerSecond))
        out.append(String(format: "per step, mean over ranks: compute %@, all-reduce wait %@, other %@%@",
                          Self.ms(computeSeconds), Self.ms(allReduceWaitSeconds), Self.ms(otherSeconds),
                          linkBusySeconds.map { "; ring links busy " + Self.ms($0) + " (data in flight, overlapping backward)" } ?? ""))
        for r in perRank {
            let busy = r.linkBusySeconds.map { ", link to rank \((r.rank + 1) % max(perRank.count, 1)) busy " + Self.ms($0) } ?? ""
            out.append("  rank \(r.rank): compute \(Self.ms(r.computeSeconds)), all-reduce wait \(Self.ms(r.allReduceWaitSeconds))\(busy)")
        }
        let tx = wire.workerTxBytes.map(Self.mb).joined(separator: ", ")
        let rx = wire.workerRxBytes.map(Self.mb).joined(separator: ", ")
        out.append("bytes on the wire per step: \(Self.mb(wire.totalBytes)) MB sent by the workers (each sent \(tx) MB, received \(rx) MB; "
                   + "fp32 ring all-reduce: \(Self.mb(wire.ringFP32BytesPerWorker)) MB each), coordinator \(Self.mb(wire.coordinatorBytes)) MB; "
                   + "over \(wire.steps) steps")
        out.append("worker CPU: " + workerCPUShare.map { String(format: "%.0f%%", $0 * 100) }.joined(separator: ", ")
                   + String(format: " of a core (single process: %.0f%%); below 100%% x threads, the machine's other work took the rest", 100 * singleCPUShare))
        out.append(String(format: "per CPU-second (all threads: compute, ring, encryption): cluster %.0f images, single process %.0f (%.0f%%)",
                          clusterImagesPerCPUSecond, singleImagesPerCPUSecond,
                          singleImagesPerCPUSecond > 0 ? 100 * clusterImagesPerCPUSecond / singleImagesPerCPUSecond : 0))
        if generations > 1 {
            out.append("warning: the ring re-formed during the timed steps (\(generations) generations): a worker was lost or joined, the figures mix memberships")
        }
        if epochs > 1 {
            out.append("warning: an epoch ended during the timed steps: its checkpoint upload (through the coordinator) is in the figures")
        }
        return out
    }

    private static func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1e3) }
    private static func mb(_ bytes: Double) -> String { String(format: "%.2f", bytes / 1e6) }
}

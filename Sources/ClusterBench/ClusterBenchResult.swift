import Coordination

/// The figures of one `cifake bench cluster` run, computed from the coordinator's step log, the
/// hosts' link counters and the single-process reference. Times are seconds per step; bytes are
/// per step. Encodes as the `--json` object.
public struct ClusterBenchResult: Sendable, Equatable, Codable {
    public struct RankTimes: Sendable, Equatable, Codable {
        public var rank: Int
        public var computeSeconds: Double
        public var allReduceWaitSeconds: Double
        public var linkBusySeconds: Double?

        enum CodingKeys: String, CodingKey {
            case rank
            case computeSeconds = "compute_seconds"
            case allReduceWaitSeconds = "all_reduce_wait_seconds"
            case linkBusySeconds = "link_busy_seconds"
        }
    }

    public struct Wire: Sendable, Equatable, Codable {
        /// Steps between the two counter readings.
        public var steps: Int
        /// Each worker host's eth0, in host order.
        public var workerTxBytes: [Double]
        public var workerRxBytes: [Double]
        /// Everything the workers sent: each byte crosses the wire once.
        public var totalBytes: Double
        /// The coordinator's eth0, both ways (control: reports, heartbeats; uploads at checkpoints).
        public var coordinatorBytes: Double
        /// What a ring all-reduce of the fp32 gradient sends per worker: 2 (N-1)/N of its bytes.
        public var ringFP32BytesPerWorker: Double

        enum CodingKeys: String, CodingKey {
            case steps
            case workerTxBytes = "worker_tx_bytes"
            case workerRxBytes = "worker_rx_bytes"
            case totalBytes = "total_bytes"
            case coordinatorBytes = "coordinator_bytes"
            case ringFP32BytesPerWorker = "ring_fp32_bytes_per_worker"
        }
    }

    public var workers: Int
    public var timedSteps: Int
    public var firstStep: Int
    public var lastStep: Int
    /// Images per step (the global batch).
    public var imagesPerStep: Double
    public var clusterImagesPerSecond: Double
    public var singleImagesPerSecond: Double
    /// Cluster images/s over N times the single process's.
    public var scalingEfficiency: Double
    /// Wall time between step ends, as the coordinator saw them.
    public var stepSeconds: Double
    /// Means over ranks: forward, backward and update.
    public var computeSeconds: Double
    /// Waiting for the all-reduce after compute (transfer not hidden behind backward, and slower peers).
    public var allReduceWaitSeconds: Double
    /// The ring links' time with data in flight (overlaps compute); nil when the kernel did not tell.
    public var linkBusySeconds: Double?
    /// Step time outside compute and all-reduce: control messages, the step report, idling.
    public var otherSeconds: Double
    public var perRank: [RankTimes]
    public var wire: Wire
    /// Each worker's CPU time over wall time between the counter readings (1: a whole core;
    /// below that on a machine whose other work took the rest).
    public var workerCPUShare: [Double]
    /// The single process's CPU time over its wall time.
    public var singleCPUShare: Double
    /// Images per CPU-second, every thread counted: what a step costs whatever share of the
    /// cores the machine's other work left (the workers' between the counter readings).
    public var clusterImagesPerCPUSecond: Double
    public var singleImagesPerCPUSecond: Double
    /// Ring generations seen in the window (more than one: a worker was lost or joined).
    public var generations: Int
    /// Epochs the window touches (more than one: an epoch's end, with its checkpoint upload, was timed).
    public var epochs: Int

    /// - Parameters:
    ///   - entries: the step log, in any order; a step logged twice counts with its last line.
    ///   - gradientBytes: the fp32 gradient's size (parameters x 4).
    public init(entries: [StepLogEntry], window: StepWindow, start: CounterSample, end: CounterSample,
                singleImagesPerSecond: Double, singleCPUShare: Double, workers: Int, gradientBytes: Int) throws(ClusterBenchError) {
        var byStep: [Int: StepLogEntry] = [:]
        for e in entries { byStep[e.step] = e }
        let missing = (window.reference...window.last).filter { byStep[$0] == nil }
        guard missing.isEmpty else {
            throw .missingSteps(expected: "steps \(window.reference)...\(window.last)",
                                found: "\(byStep.count) steps logged, without \(missing.prefix(5).map(String.init).joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")")
        }
        let timed = (window.first...window.last).map { byStep[$0]! }
        let seconds = byStep[window.last]!.time - byStep[window.reference]!.time
        guard seconds > 0 else {
            throw .missingSteps(expected: "step times that grow", found: "\(seconds) s from step \(window.reference) to \(window.last)")
        }
        let spanned = end.step - start.step
        guard spanned > 0, end.time > start.time, [start.workers.count, end.workers.count, start.workerCPUSeconds.count,
                                                     end.workerCPUSeconds.count].allSatisfy({ $0 == workers }) else {
            throw .missingSteps(expected: "link counters and CPU times of \(workers) workers read at two different steps",
                                found: "steps \(start.step) and \(end.step), \(start.workers.count) and \(end.workers.count) workers")
        }

        self.workers = workers
        timedSteps = timed.count
        firstStep = window.first
        lastStep = window.last
        let images = Double(timed.reduce(0) { $0 + $1.samples })
        imagesPerStep = images / Double(timed.count)
        clusterImagesPerSecond = images / seconds
        self.singleImagesPerSecond = singleImagesPerSecond
        scalingEfficiency = clusterImagesPerSecond / (Double(workers) * singleImagesPerSecond)
        stepSeconds = seconds / Double(timed.count)
        generations = Set(timed.map(\.generation)).count
        epochs = Set((window.reference...window.last).map { byStep[$0]!.epoch }).count

        let ranks = timed.map(\.ranks.count).max() ?? 0
        perRank = (0..<ranks).map { rank in
            let rows = timed.compactMap { $0.ranks.first { $0.rank == rank } }
            let busy = rows.compactMap(\.ringSendBusySeconds)
            return RankTimes(rank: rank, computeSeconds: Self.mean(rows.map(\.computeSeconds)),
                             allReduceWaitSeconds: Self.mean(rows.map(\.allReduceWaitSeconds)),
                             linkBusySeconds: busy.isEmpty ? nil : Self.mean(busy))
        }
        computeSeconds = Self.mean(perRank.map(\.computeSeconds))
        allReduceWaitSeconds = Self.mean(perRank.map(\.allReduceWaitSeconds))
        let busy = perRank.compactMap(\.linkBusySeconds)
        linkBusySeconds = busy.isEmpty ? nil : Self.mean(busy)
        otherSeconds = stepSeconds - computeSeconds - allReduceWaitSeconds

        let steps = Double(spanned)
        let deltas = zip(end.workers, start.workers).map { $0.since($1) }
        let coordinator = end.coordinator.since(start.coordinator)
        wire = Wire(steps: spanned,
                    workerTxBytes: deltas.map { Double($0.txBytes) / steps },
                    workerRxBytes: deltas.map { Double($0.rxBytes) / steps },
                    totalBytes: Double(deltas.reduce(0) { $0 + $1.txBytes }) / steps,
                    coordinatorBytes: Double(coordinator.txBytes + coordinator.rxBytes) / steps,
                    ringFP32BytesPerWorker: 2 * Double(workers - 1) / Double(workers) * Double(gradientBytes))
        workerCPUShare = zip(end.workerCPUSeconds, start.workerCPUSeconds).map { ($0 - $1) / (end.time - start.time) }
        let workerCPU = zip(end.workerCPUSeconds, start.workerCPUSeconds).reduce(0) { $0 + $1.0 - $1.1 }
        clusterImagesPerCPUSecond = workerCPU > 0 ? imagesPerStep * steps / workerCPU : 0
        self.singleCPUShare = singleCPUShare
        singleImagesPerCPUSecond = singleCPUShare > 0 ? singleImagesPerSecond / singleCPUShare : 0
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    enum CodingKeys: String, CodingKey {
        case workers
        case timedSteps = "timed_steps"
        case firstStep = "first_step"
        case lastStep = "last_step"
        case imagesPerStep = "images_per_step"
        case clusterImagesPerSecond = "cluster_images_per_second"
        case singleImagesPerSecond = "single_images_per_second"
        case scalingEfficiency = "scaling_efficiency"
        case stepSeconds = "step_seconds"
        case computeSeconds = "compute_seconds"
        case allReduceWaitSeconds = "all_reduce_wait_seconds"
        case linkBusySeconds = "link_busy_seconds"
        case otherSeconds = "other_seconds"
        case perRank = "per_rank"
        case wire
        case workerCPUShare = "worker_cpu_share"
        case singleCPUShare = "single_cpu_share"
        case clusterImagesPerCPUSecond = "cluster_images_per_cpu_second"
        case singleImagesPerCPUSecond = "single_images_per_cpu_second"
        case generations, epochs
    }
}

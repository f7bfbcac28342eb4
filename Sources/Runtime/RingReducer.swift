import Collective
import Kernels
import Training
import Transport

/// The cluster's `GradientReducer`: a ring all-reduce of the flat gradient buffer over ZeroMQ,
/// worker to worker. Every frame carries the membership generation and the training step.
///
/// Used by `WorkerNode` and by `cifake bench train --workers N`, so the benchmark times the very
/// reduction the cluster runs. One thread at a time (the training thread) may call `allReduce`.
public final class RingReducer: GradientReducer {
    public let link: any RingLink
    public let schedule: RingSchedule
    public let generation: UInt64
    public let timeoutMilliseconds: Int
    /// Stale frames (other generation or step) dropped so far, over all all-reduces.
    public private(set) var droppedFrames = 0

    /// - Parameters:
    ///   - link: connected to the successor already (or before the first `allReduce`).
    ///   - elementCount: floats in the gradient buffer (the model's parameter count).
    ///   - chunkBytes: payload bytes per ring frame (1 MiB: see PLATFORM-NOTES on receive pages).
    ///   - timeoutMilliseconds: deadline of every receive inside one all-reduce.
    public init(link: any RingLink, rank: Int, worldSize: Int, elementCount: Int, generation: UInt64,
         chunkBytes: Int = 1 << 20, timeoutMilliseconds: Int) {
        self.link = link
        self.generation = generation
        self.timeoutMilliseconds = timeoutMilliseconds
        schedule = RingSchedule(worldSize: worldSize, rank: rank, elementCount: elementCount,
                                chunkElements: chunkBytes / MemoryLayout<Float>.size)
    }

    public var rank: Int { schedule.rank }

    private var lastBusySeconds: Double?

    /// Seconds the link to the successor was busy (data in flight) since the previous call, from
    /// the kernel's TCP statistics; nil on the first call or when they are unavailable. Called
    /// once per step, it is how long this rank's outgoing ring link took to carry the step.
    public func takeSuccessorBusySeconds() -> Double? {
        let now = link.successorBusySeconds()
        defer { lastBusySeconds = now }
        guard let now, let before = lastBusySeconds, now >= before else { return nil }
        return now - before
    }
    public var worldSize: Int { schedule.worldSize }

    /// Sums `gradients` (exactly `elementCount` floats) over the ring, in place; every rank ends
    /// with the same bits.
    public func allReduce(_ gradients: FloatBuffer, step: Int) throws {
        let report = try RingAllReduce.run(buffer: gradients.buffer, schedule: schedule, link: link, generation: generation,
                                           step: UInt32(truncatingIfNeeded: step), timeoutMilliseconds: timeoutMilliseconds)
        droppedFrames += report.droppedFrames
    }
}

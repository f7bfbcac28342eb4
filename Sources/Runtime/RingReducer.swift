import Collective
import Kernels
import Training
import Transport

/// The cluster's `GradientReducer`: a ring all-reduce of the flat gradient buffer over ZeroMQ,
/// worker to worker. Every frame carries the membership generation and the training step.
///
/// Overlapped with backward: as soon as the network reports its dense layers' gradients final
/// (`gradientsReady`, 99.8% of the bytes for D=4096), a dedicated thread sums them on the ring
/// while the convolutions' backward runs; `allReduce` then waits for it and sums the small rest.
/// Both parts keep the whole buffer's ring segments, so every element is summed in the same order
/// as by one all-reduce: the overlap changes no bit. Every rank splits at the same place and in
/// the same order (the link is used by one thread at a time, and frames arrive in the order they
/// were sent).
///
/// Used by `WorkerNode` and by `cifake bench train --workers N`, so the benchmark times the very
/// reduction the cluster runs. One thread at a time (the training thread) may call it.
public final class RingReducer: GradientReducer {
    public let link: any RingLink
    public let rank: Int
    public let worldSize: Int
    public let elementCount: Int
    public let generation: UInt64
    public let chunkElements: Int
    public let timeoutMilliseconds: Int
    /// Stale frames (other generation or step) dropped so far, over all all-reduces.
    public private(set) var droppedFrames = 0

    /// The overlapped part of the step under way: its step and element range.
    private var early: (step: Int, range: Range<Int>)?
    private lazy var background = DedicatedThread(name: "cifake ring")

    /// - Parameters:
    ///   - link: connected to the successor already (or before the first `allReduce`).
    ///   - elementCount: floats in the gradient buffer (the model's parameter count).
    ///   - chunkBytes: payload bytes per ring frame (1 MiB: see PLATFORM-NOTES on receive pages).
    ///   - timeoutMilliseconds: deadline of every receive inside one all-reduce.
    public init(link: any RingLink, rank: Int, worldSize: Int, elementCount: Int, generation: UInt64,
         chunkBytes: Int = 1 << 20, timeoutMilliseconds: Int) {
        self.link = link
        self.rank = rank
        self.worldSize = worldSize
        self.elementCount = elementCount
        self.generation = generation
        self.chunkElements = chunkBytes / MemoryLayout<Float>.size
        self.timeoutMilliseconds = timeoutMilliseconds
    }

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

    /// Starts summing `range` (the end of the buffer) on the ring in the background.
    public func gradientsReady(_ gradients: FloatBuffer, range: Range<Int>, step: Int) {
        guard worldSize > 1, early == nil, !range.isEmpty, range.upperBound == elementCount else { return }
        early = (step, range)
        let buffer = gradients.buffer
        background.start { [self] in try reduce(buffer, window: range, step: step) }
    }

    /// Sums `gradients` (exactly `elementCount` floats) over the ring, in place; every rank ends
    /// with the same bits.
    public func allReduce(_ gradients: FloatBuffer, step: Int) throws {
        var rest = 0..<elementCount
        if let started = early {
            early = nil
            try background.wait()
            precondition(started.step == step, "gradients of step \(started.step) were reported ready, then step \(step) all-reduced")
            rest = 0..<started.range.lowerBound
        }
        try reduce(gradients.buffer, window: rest, step: step)
    }

    /// All-reduces `window` of the buffer with the whole buffer's segments, so splitting changes
    /// no bit of the result.
    private func reduce(_ buffer: UnsafeMutableBufferPointer<Float>, window: Range<Int>, step: Int) throws {
        guard !window.isEmpty else { return }
        let schedule = RingSchedule(worldSize: worldSize, rank: rank, elementCount: elementCount, chunkElements: chunkElements,
                                    window: window)
        let report = try RingAllReduce.run(buffer: buffer, schedule: schedule, link: link, generation: generation,
                                           step: UInt32(truncatingIfNeeded: step), timeoutMilliseconds: timeoutMilliseconds)
        droppedFrames += report.droppedFrames
    }
}

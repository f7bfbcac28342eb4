import Collective
import Compression
import Dispatch
import Kernels
import Model
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
/// Compressed (`gradient_compression`): `bf16` sends every element as bfloat16 (Float32 sums);
/// `powersgd` replaces each large weight matrix's gradient by a low-rank approximation whose
/// factors are summed exactly (`PowerSGD`, error feedback per rank), the rest exactly; `auto`
/// picks one of the three in `negotiate` from a probe of the ring. Every rank applies the same
/// bits whatever the method. The PowerSGD state (error feedback, warm-start factor) belongs to
/// this reducer: a new generation (a re-formed ring) or a resumed run restarts it from zero error
/// and the seed's factor, on every rank alike.
///
/// Every byte of a ring of two or more moves on the dedicated ring thread; the calling (training)
/// thread waits for it in slices and runs `whileWaiting` between them: heartbeats and control
/// messages stay on the training thread, and the ring thread only moves bytes. Control abandons
/// a generation through the link's `RingCancellation`, never by throwing inside the ring.
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
    /// Frames that were not this ring's (junk on the ring port), dropped; and what the first was.
    public private(set) var rejectedFrames = 0
    public private(set) var firstRejection: String?
    /// The method asked for; `auto` until `negotiate` resolves it.
    public let requested: GradientCompression
    /// The method in use (`none` for `auto` before `negotiate`).
    public private(set) var method: GradientCompression
    private let plan: CompressionPlan
    private let seed: UInt64
    private var compressors: [Int: PowerSGD] = [:]

    /// The overlapped part of the step under way: its step and element range.
    private var early: (step: Int, range: Range<Int>)?
    private lazy var background = DedicatedThread(name: "cifake ring")

    /// Runs on the calling thread about every 100 ms while it waits for the ring thread (the
    /// worker's heartbeats and control messages). nil: the wait is not interrupted.
    public var whileWaiting: (() -> Void)?

    /// - Parameters:
    ///   - link: connected to the successor already (or before the first `allReduce`).
    ///   - elementCount: floats in the gradient buffer (the model's parameter count).
    ///   - chunkBytes: payload bytes per ring frame (1 MiB: see PLATFORM-NOTES on receive pages).
    ///   - timeoutMilliseconds: deadline of every receive inside one all-reduce.
    ///   - compression: the method; `layout` names the weight matrices PowerSGD approximates at
    ///     `compressionRank`, `seed` fixes its starting factor.
    public init(link: any RingLink, rank: Int, worldSize: Int, elementCount: Int, generation: UInt64,
         chunkBytes: Int = 1 << 20, timeoutMilliseconds: Int,
         compression: GradientCompression = .none, layout: ParameterLayout? = nil, compressionRank: Int = 4, seed: UInt64 = 0) {
        precondition(layout == nil || layout!.count == elementCount, "layout of \(layout!.count) elements for a buffer of \(elementCount)")
        self.requested = compression
        self.method = worldSize > 1 && compression != .auto ? compression : .none
        self.plan = layout.map { CompressionPlan(layout: $0, rank: compressionRank) } ?? CompressionPlan(elementCount: elementCount)
        self.seed = seed
        self.link = link
        self.rank = rank
        self.worldSize = worldSize
        self.elementCount = elementCount
        self.generation = generation
        self.chunkElements = chunkBytes / MemoryLayout<Float>.size
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    private var lastBusySeconds: Double?

    /// Seconds spent in ring all-reduces (on either thread) since `takeCommunicationSeconds`.
    private var communicationSeconds = 0.0

    /// Wall time of the ring all-reduces since the previous call, the part overlapped with
    /// backward included. Called by the training thread after `allReduce` (which has waited for
    /// the ring's thread), once per step.
    public func takeCommunicationSeconds() -> Double {
        defer { communicationSeconds = 0 }
        return communicationSeconds
    }

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
        pending = []
        let buffer = gradients.buffer
        background.start { [self] in try reduce(buffer, window: range, step: step) }
    }

    /// Sums `gradients` (exactly `elementCount` floats) over the ring, in place; every rank ends
    /// with the same bits.
    public func allReduce(_ gradients: FloatBuffer, step: Int) throws {
        if early == nil { pending = [] }
        var rest = 0..<elementCount
        if let started = early {
            early = nil
            try awaitRing()
            precondition(started.step == step, "gradients of step \(started.step) were reported ready, then step \(step) all-reduced")
            rest = 0..<started.range.lowerBound
        }
        let buffer = gradients.buffer, window = rest
        try onRing { [self] in try reduce(buffer, window: window, step: step) }
    }

    /// Runs `job` on the ring thread and waits for it (a ring of one has nothing to wait for: it
    /// runs here).
    private func onRing(_ job: @escaping () throws -> Void) throws {
        guard worldSize > 1 else { return try job() }
        background.start(job)
        try awaitRing()
    }

    /// Waits for the ring thread's job, running `whileWaiting` between slices; rethrows its error.
    private func awaitRing() throws {
        try background.wait(between: whileWaiting)
    }

    /// Reduces `window` of the gradient buffer by the method in use. Exact parts keep the whole
    /// buffer's segments, so splitting changes no bit of their result.
    private func reduce(_ buffer: UnsafeMutableBufferPointer<Float>, window: Range<Int>, step: Int) throws {
        switch method {
        case .none, .auto:
            try ring(buffer, window: window, step: step, format: .float32)
        case .bf16:
            try ring(buffer, window: window, step: step, format: .bfloat16)
        case .powersgd:
            var exactFrom = window.lowerBound
            for (index, matrix) in plan.matrices.enumerated() where matrix.range.overlaps(window) {
                precondition(window.lowerBound <= matrix.range.lowerBound && matrix.range.upperBound <= window.upperBound,
                             "\(matrix.name) \(matrix.range) is split by the window \(window)")
                try ring(buffer, window: exactFrom..<matrix.range.lowerBound, step: step, format: .float32)
                try lowRank(buffer.baseAddress! + matrix.range.lowerBound, matrix: matrix, index: index, step: step)
                exactFrom = matrix.range.upperBound
            }
            try ring(buffer, window: exactFrom..<window.upperBound, step: step, format: .float32)
        }
    }

    /// PowerSGD on one weight matrix: its factors are summed exactly on the ring. The matrix's
    /// region of the gradient buffer holds `M` (this step's gradient on top of the error
    /// feedback, which the region kept: `retainedGradients`), and becomes the new error feedback
    /// as the optimizer reconstructs the approximation (`deferredGradients`).
    private func lowRank(_ m: UnsafeMutablePointer<Float>, matrix: CompressionPlan.Matrix, index: Int, step: Int) throws {
        let compressor = compressors[index] ?? PowerSGD(rows: matrix.rows, columns: matrix.columns, rank: plan.rank, seed: seed)
        compressors[index] = compressor
        compressor.project(m)
        try ring(compressor.p.buffer, window: 0..<compressor.p.count, step: step, format: .float32)
        compressor.orthonormalize()
        compressor.backProject(m)
        try ring(compressor.q.buffer, window: 0..<compressor.q.count, step: step, format: .float32)
        compressor.prepareDecompression()
        pending.append((matrix.range, compressor, m - matrix.range.lowerBound))
        holdsErrorFeedback = true
    }

    /// Whether the matrices' regions of the gradient buffer hold this reducer's error feedback.
    /// False until its first PowerSGD step: a new reducer (a new ring) starts from zero error.
    private var holdsErrorFeedback = false

    public var retainedGradients: [Range<Int>] {
        holdsErrorFeedback ? plan.matrices.map(\.range) : []
    }

    /// PowerSGD matrices of this step whose approximation the optimizer reconstructs block by
    /// block (`deferredGradients`): it never travels to memory, and Adam reads it from cache;
    /// `buffer` is the gradient buffer's start.
    private var pending: [(range: Range<Int>, compressor: PowerSGD, buffer: UnsafeMutablePointer<Float>)] = []

    public var deferredGradients: Adam.BlockGradients? {
        guard !pending.isEmpty else { return nil }
        let pending = self.pending, worldSize = self.worldSize
        return { range, block in
            guard pending.contains(where: { $0.range.overlaps(range) }) else { return false }
            var next = range.lowerBound
            for matrix in pending where matrix.range.overlaps(range) {
                let part = matrix.range.clamped(to: range)
                if next < part.lowerBound { (block + (next - range.lowerBound)).update(from: matrix.buffer + next, count: part.lowerBound - next) }
                matrix.compressor.decompress(elements: (part.lowerBound - matrix.range.lowerBound)..<(part.upperBound - matrix.range.lowerBound),
                                             of: matrix.buffer + matrix.range.lowerBound,
                                             into: block + (part.lowerBound - range.lowerBound), worldSize: worldSize)
                next = part.upperBound
            }
            if next < range.upperBound, let buffer = pending.first?.buffer {
                (block + (next - range.lowerBound)).update(from: buffer + next, count: range.upperBound - next)
            }
            return true
        }
    }

    /// One ring all-reduce of `window` of `buffer`, with the whole buffer's segments.
    private func ring(_ buffer: UnsafeMutableBufferPointer<Float>, window: Range<Int>, step: Int, format: RingWireFormat) throws {
        guard !window.isEmpty else { return }
        let began = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        let schedule = RingSchedule(worldSize: worldSize, rank: rank, elementCount: buffer.count, chunkElements: chunkElements,
                                    window: window)
        let report = try RingAllReduce.run(buffer: buffer, schedule: schedule, link: link, generation: generation,
                                           step: UInt32(truncatingIfNeeded: step), timeoutMilliseconds: timeoutMilliseconds,
                                           format: format)
        droppedFrames += report.droppedFrames
        rejectedFrames += report.rejectedFrames
        if firstRejection == nil { firstRejection = report.firstRejection }
    }

    /// Resolves `auto`: all-reduces a probe buffer to measure the ring (its slowest link sets the
    /// pace), agrees with every rank on the probe's time and `computeSeconds` (their sums over
    /// the ring: the same bits everywhere), and picks the cheapest method whose communication
    /// stays below compute (`computeSeconds` is asked only for `auto`). Every rank must call it at the same point, before the first step.
    /// Returns nil when nothing was negotiated (another method, or a ring of one).
    /// `recorded`: the method this rank's run chose before (from its checkpoint, or an earlier
    /// generation); the ranks' records are summed with the figures, and the most recorded one is
    /// kept, alike on every rank.
    public func negotiate(computeSeconds: () throws -> Double, recorded: GradientCompression? = nil) throws -> CompressionChoice? {
        guard requested == .auto, worldSize > 1 else { return nil }
        let compute = try computeSeconds()
        // Frames of the probe carry steps no training reaches.
        let warmUp = FloatBuffer(count: 1), probe = FloatBuffer(count: Self.probeElements)
        let figures = FloatBuffer(count: 2 + Self.recordable.count)
        for (i, method) in Self.recordable.enumerated() where method == recorded { figures.pointer[2 + i] = 1 }
        try onRing { [self] in
            try ring(warmUp.buffer, window: 0..<1, step: Self.probeStep, format: .float32)  // connections up
            let began = DispatchTime.now().uptimeNanoseconds
            try ring(probe.buffer, window: 0..<probe.count, step: Self.probeStep + 1, format: .float32)
            figures.pointer[0] = Float(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
            figures.pointer[1] = Float(compute)
            try ring(figures.buffer, window: 0..<figures.count, step: Self.probeStep + 2, format: .float32)
        }
        let n = Double(worldSize)
        var records: [GradientCompression: Int] = [:]
        for (i, method) in Self.recordable.enumerated() { records[method] = Int(figures.pointer[2 + i].rounded()) }
        let choice = CompressionChoice(plan: plan, worldSize: worldSize, probeElements: probe.count,
                                       probeSeconds: Double(figures.pointer[0]) / n, computeSeconds: Double(figures.pointer[1]) / n,
                                       recorded: records)
        method = choice.method
        return choice
    }

    /// The methods a rank's record can name, in the order of their counts in `negotiate`'s figures.
    static let recordable: [GradientCompression] = [.none, .bf16, .powersgd]

    /// Float32 elements in `negotiate`'s probe (8 MiB).
    static let probeElements = 1 << 21
    static let probeStep = Int(UInt32.max - 3)
}

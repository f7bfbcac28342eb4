import Model

/// Which parts of the flat gradient buffer a method sends how: the weight matrices PowerSGD
/// approximates, and the rest, sent exactly.
public struct CompressionPlan: Sendable, Equatable {
    public struct Matrix: Sendable, Equatable {
        public var name: String
        public var range: Range<Int>
        public var rows: Int
        public var columns: Int
    }

    /// Matrices approximated at `rank`: two-dimensional tensors of at least `minimumElements`
    /// whose factors are at most a quarter of their size. Empty for other methods.
    public let matrices: [Matrix]
    public let rank: Int
    public let elementCount: Int

    public static let minimumElements = 1 << 16

    public init(layout: ParameterLayout, rank: Int) {
        self.rank = rank
        elementCount = layout.count
        matrices = layout.tensors.compactMap { spec in
            guard spec.shape.count == 2, spec.count >= Self.minimumElements else { return nil }
            let rows = spec.shape[0], columns = spec.shape[1]
            guard (rows + columns) * rank * 4 <= rows * columns else { return nil }
            return Matrix(name: spec.name, range: spec.range, rows: rows, columns: columns)
        }
    }

    /// Floats on the wire per step with PowerSGD: the factors, and every other element exactly.
    public var powerSGDWireElements: Int {
        elementCount - matrices.reduce(0) { $0 + $1.range.count } + matrices.reduce(0) { $0 + ($1.rows + $1.columns) * min(rank, $1.rows, $1.columns) }
    }
}

/// `auto`'s decision, from figures every rank agrees on (sums over the ring, so the same bits
/// everywhere): the first of none, bf16, powersgd whose communication stays below half the
/// compute time, and the exact ring whenever it takes under 10 ms. Half, not all: moving bytes
/// costs CPU on the same cores as the compute (the kernel's copies, CURVE's encryption: measured
/// here, an exact ring whose 118 ms of transfer fitted inside 130 ms of compute still made each
/// step 60 ms longer), so only a ring that is idle half the step is free.
public struct CompressionChoice: Sendable, Equatable, CustomStringConvertible {
    public let method: GradientCompression
    /// Estimated seconds of communication per step for none, bf16 and powersgd.
    public let estimates: [GradientCompression: Double]
    public let computeSeconds: Double
    /// Bytes per second the ring carried in the probe (payload of the slowest rank's all-reduce).
    public let ringBytesPerSecond: Double

    /// - Parameters:
    ///   - probeElements: Float32 elements all-reduced in the probe.
    ///   - probeSeconds: how long that took (the ranks' mean).
    ///   - computeSeconds: one step's compute (the ranks' mean).
    ///   - recorded: ranks that hold the run's earlier choice of each method (a resumed or
    ///     re-formed ring); the most recorded one is kept.
    public init(plan: CompressionPlan, worldSize: Int, probeElements: Int, probeSeconds: Double, computeSeconds: Double,
                recorded: [GradientCompression: Int] = [:]) {
        // A ring all-reduce moves 2(N-1)/N of the buffer over each link; time scales with bytes.
        let perElement = probeSeconds / Double(max(probeElements, 1))
        let none = perElement * Double(plan.elementCount)
        let estimates: [GradientCompression: Double] = [
            .none: none,
            .bf16: none / 2,
            // Three all-reduces one after the other (P, Q, the exact rest), each paying a ring's
            // fixed costs: counted, roughly, as three times their bytes.
            .powersgd: plan.matrices.isEmpty ? none : perElement * Double(plan.powerSGDWireElements) * 3,
        ]
        self.estimates = estimates
        self.computeSeconds = computeSeconds
        ringBytesPerSecond = probeSeconds > 0 ? Double(probeElements * 4) * 2 * Double(worldSize - 1) / Double(worldSize) / probeSeconds : .infinity
        let affordable = estimates[.none]! <= Self.floorSeconds ? GradientCompression.none
            : [GradientCompression.none, .bf16, .powersgd].first { estimates[$0]! <= computeSeconds * Self.budget }
        let measured = affordable ?? (plan.matrices.isEmpty ? .bf16 : .powersgd)
        // The run's earlier choice wins: a resumed or re-formed ring keeps the maths of the run
        // (exact resume stays bit-exact), whatever the machine's load now.
        let kept = [GradientCompression.none, .bf16, .powersgd].filter { (recorded[$0] ?? 0) > 0 }
            .max { (recorded[$0] ?? 0) < (recorded[$1] ?? 0) }
        method = kept ?? measured
        keptByRanks = kept.map { recorded[$0] ?? 0 } ?? 0
        self.worldSize = worldSize
    }

    /// Ranks that recorded the run's earlier choice of `method`, which was kept instead of this
    /// probe's; 0: `method` is this probe's.
    public let keptByRanks: Int
    public let worldSize: Int

    /// The method an earlier choice's `description` names (`gradient_compression auto -> M...`).
    public static func method(recordedIn note: String) -> GradientCompression? {
        guard let range = note.range(of: "gradient_compression auto -> ") else { return nil }
        return GradientCompression(rawValue: String(note[range.upperBound...].prefix { $0.isLetter || $0.isNumber }))
    }

    /// The share of the compute time communication may take.
    public static let budget = 0.5
    /// An exact ring faster than this is always kept: there is nothing worth an approximation to
    /// save (a small model, whose steps are a few milliseconds, would otherwise flip between
    /// methods with the machine's load: measured here, D=32 on a loaded machine estimated 4 ms of
    /// communication against 3 ms of compute).
    public static let floorSeconds = 0.010

    public var description: String {
        func ms(_ s: Double) -> String { String(Int((s * 1000).rounded())) }
        let kept = keptByRanks > 0 ? " (kept: the run chose it before, recorded by \(keptByRanks) of \(worldSize) ranks)" : ""
        return "gradient_compression auto -> \(method)\(kept): the ring carries \(Int(ringBytesPerSecond / 1e6)) MB/s per link; "
            + "communication per step: none \(ms(estimates[.none]!)) ms, bf16 \(ms(estimates[.bf16]!)) ms, powersgd \(ms(estimates[.powersgd]!)) ms; "
            + "compute \(ms(computeSeconds)) ms (budget: half of it)"
    }
}

extension CompressionPlan {
    /// A buffer with no layout: nothing to approximate.
    public init(elementCount: Int) {
        matrices = []
        rank = 1
        self.elementCount = elementCount
    }
}

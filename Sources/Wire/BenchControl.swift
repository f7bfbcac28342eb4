/// The messages between a benchmark's launcher (`bench allreduce`, `bench train --workers N`) and
/// the rank processes it starts on this host, carried in the cluster's frame (``WireHeader``,
/// kinds 256 and up) by ``BenchControlCodec``. Arrows give the direction; every message a rank
/// sends names the rank.
///
/// The exchange: `hello` from every rank, `ring` to each, then per benchmark barriers
/// (`ready`, `go`) and gathers of timings; `bench train` adds `warmedUp` and `trainWindow`, and
/// ends with the weights' checksums (`weightsChecksum`, `weightsChecksums`, `agreed`).
/// A rank that fails says `failed` and exits with status 1.
public enum BenchControl: Sendable, Equatable {
    /// rank -> launcher: the rank's ring endpoint and, with CURVE, its public key.
    case hello(rank: Int, endpoint: String, publicKey: String?)
    /// launcher -> rank: its successor's endpoint; with CURVE also the successor's key (the only
    /// server its link trusts) and the predecessor's (the only client its ZAP handler admits).
    case ring(successor: String, successorKey: String?, predecessorKey: String?)
    /// rank -> launcher: arrived at a barrier.
    case ready(rank: Int)
    /// launcher -> ranks: every rank arrived; go on.
    case go
    /// rank -> launcher (`bench train`): warmed up; its last warm-up step took `secondsPerStep`.
    case warmedUp(rank: Int, secondsPerStep: Double)
    /// launcher -> ranks (`bench train`): train one timed window of `steps` steps (at least 1).
    case trainWindow(steps: Int)
    /// rank -> launcher (`bench train`): one window's times.
    case windowTimes(WindowTimes)
    /// rank -> launcher (`bench allreduce`): one buffer size's times.
    case allReduceTimes(AllReduceTimes)
    /// rank -> launcher (`bench train`): its weights' checksum after the last window.
    case weightsChecksum(rank: Int, checksum: UInt64)
    /// launcher -> ranks (`bench train`): every rank's weights checksum, by rank.
    case weightsChecksums([UInt64])
    /// rank -> launcher (`bench train`): every checksum equals its own.
    case agreed(rank: Int)
    /// rank -> launcher: the rank failed (why, in at most ``WireCodec/maximumStringBytes`` bytes).
    case failed(rank: Int, message: String)

    /// One timed window of `bench train` on one rank; times in seconds.
    public struct WindowTimes: Sendable, Equatable {
        public var rank: Int
        /// The window's index, from 0.
        public var index: Int
        public var steps: Int
        /// Wall-clock time of the window, and its compute and all-reduce shares.
        public var seconds: Double
        public var computeSeconds: Double
        public var reduceSeconds: Double
        /// The rank process's CPU time over the window (all threads).
        public var cpuSeconds: Double

        public init(rank: Int, index: Int, steps: Int, seconds: Double, computeSeconds: Double, reduceSeconds: Double, cpuSeconds: Double) {
            self.rank = rank
            self.index = index
            self.steps = steps
            self.seconds = seconds
            self.computeSeconds = computeSeconds
            self.reduceSeconds = reduceSeconds
            self.cpuSeconds = cpuSeconds
        }
    }

    /// One buffer size of `bench allreduce` on one rank; times in seconds per all-reduce.
    public struct AllReduceTimes: Sendable, Equatable {
        public var rank: Int
        /// The size's index in `--mib`, from 0.
        public var sizeIndex: Int
        /// The rank process's CPU time per all-reduce, averaged over the timed repetitions.
        public var cpuSeconds: Double
        /// Wall-clock time per all-reduce in each timed repetition.
        public var seconds: [Double]

        public init(rank: Int, sizeIndex: Int, cpuSeconds: Double, seconds: [Double]) {
            self.rank = rank
            self.sizeIndex = sizeIndex
            self.cpuSeconds = cpuSeconds
            self.seconds = seconds
        }
    }

    public var kind: WireKind {
        switch self {
        case .hello: .benchHello
        case .ring: .benchRing
        case .ready: .benchReady
        case .go: .benchGo
        case .warmedUp: .benchWarmedUp
        case .trainWindow: .benchTrainWindow
        case .windowTimes: .benchWindowTimes
        case .allReduceTimes: .benchAllReduceTimes
        case .weightsChecksum: .benchWeightsChecksum
        case .weightsChecksums: .benchWeightsChecksums
        case .agreed: .benchAgreed
        case .failed: .benchFailed
        }
    }

    /// The rank that sent this message; nil for the launcher's.
    public var rank: Int? {
        switch self {
        case .hello(let rank, _, _), .ready(let rank), .warmedUp(let rank, _), .weightsChecksum(let rank, _),
             .agreed(let rank), .failed(let rank, _):
            rank
        case .windowTimes(let t): t.rank
        case .allReduceTimes(let t): t.rank
        case .ring, .go, .trainWindow, .weightsChecksums: nil
        }
    }
}

import Dispatch
import Kernels
import Model

/// Throughput of the training step (forward + backward + Adam) on random images, the same
/// kind of measurement as the peers' anchors: warm-up steps, then timed windows.
public struct TrainingBenchmark {
    public var architecture: Architecture
    public var batch: Int
    public var threads: Int
    public var windows = 5
    public var windowSeconds = 1.5
    public var warmupSteps = 3

    public init(architecture: Architecture, batch: Int, threads: Int) {
        self.architecture = architecture; self.batch = batch; self.threads = threads
    }

    public var profile = false

    public struct Result {
        public var imagesPerSecond: [Double]
        /// Milliseconds per step for each layer and direction, when profiled.
        public var layers: [(name: String, milliseconds: Double)] = []
        public var median: Double { imagesPerSecond.sorted()[imagesPerSecond.count / 2] }
    }

    public func run() throws -> Result {
        let replica = BenchmarkReplica(architecture: architecture, batch: batch, threads: threads)
        for _ in 0..<warmupSteps { try replica.step() }
        if profile { replica.network.profile = LayerProfile() }
        var rates: [Double] = []
        for _ in 0..<windows {
            rates.append(try Self.measureWindow(replica, until: .seconds(windowSeconds)).imagesPerSecond)
        }
        var result = Result(imagesPerSecond: rates)
        if let p = replica.network.profile {
            let timed = Double(replica.steps - warmupSteps)
            result.layers = p.entries.map { ($0.name, Double($0.nanoseconds) / 1e6 / timed) }
        }
        return result
    }

    /// When a timed window ends.
    public enum WindowEnd: Sendable {
        /// After the first step that ends this many seconds or more after the window began.
        case seconds(Double)
        /// After exactly this many steps (replicas of a ring must all take the same number).
        case steps(Int)

        func isReached(steps: Int, seconds: Double) -> Bool {
            switch self {
            case .seconds(let limit): return seconds >= limit
            case .steps(let limit): return steps >= limit
            }
        }
    }

    /// What one timed window measured on one replica.
    public struct Window: Sendable {
        public var steps: Int
        public var batch: Int
        /// Wall time of the window, seconds.
        public var seconds: Double
        /// Summed over the window's steps, seconds: forward + backward + Adam, and the all-reduce.
        public var computeSeconds: Double
        public var reduceSeconds: Double
        /// This replica's images per second: batch x steps / wall time.
        public var imagesPerSecond: Double { Double(steps * batch) / seconds }

        public init(steps: Int = 0, batch: Int = 0, seconds: Double = 0, computeSeconds: Double = 0, reduceSeconds: Double = 0) {
            self.steps = steps; self.batch = batch; self.seconds = seconds
            self.computeSeconds = computeSeconds; self.reduceSeconds = reduceSeconds
        }
    }

    /// Runs `replica` for one timed window.
    public static func measureWindow(_ replica: BenchmarkReplica, until end: WindowEnd) throws -> Window {
        var window = Window(batch: replica.batch)
        let began = DispatchTime.now().uptimeNanoseconds
        var compute: UInt64 = 0, reduce: UInt64 = 0
        repeat {
            let time = try replica.step()
            compute &+= time.computeNanoseconds
            reduce &+= time.reduceNanoseconds
            window.steps += 1
            window.seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        } while !end.isReached(steps: window.steps, seconds: window.seconds)
        window.computeSeconds = Double(compute) / 1e9
        window.reduceSeconds = Double(reduce) / 1e9
        return window
    }

    /// Floating-point operations of one training image: forward, weight gradients and input
    /// gradients of every GEMM (conv1's input gradient is never computed).
    public static func flopsPerImage(_ a: Architecture) -> Double {
        let plan = a.plan
        func gemm(_ layer: ShapePlan.Convolution) -> Double {
            let s = layer.shape(batch: 1)
            return 2.0 * Double(s.columnRows * s.columnWidth * s.outChannels)
        }
        let conv1 = gemm(plan.conv1), conv2 = gemm(plan.conv2)
        let dense = 2.0 * Double(plan.head.inputs * plan.head.hidden), output = 2.0 * Double(plan.head.hidden)
        return conv1 * 2 + (conv2 + dense + output) * 3
    }

    /// Measured sgemm GFLOP/s on the D=4096 dense layer's forward shape at batch 128 (M128 K2304 N4096),
    /// with OpenBLAS's own threading over `threads` threads.
    public static func measureGemmPeak(threads: Int) -> Double {
        Gemm.setThreads(threads)
        let head = Architecture.cnn2d(dense: 4096).plan.head
        let m = 128, k = head.inputs, n = head.hidden
        let a = FloatBuffer(count: m * k), b = FloatBuffer(count: k * n), c = FloatBuffer(count: m * n)
        for i in 0..<a.count { a.pointer[i] = Float(i % 7) * 0.1 }
        for i in 0..<b.count { b.pointer[i] = Float(i % 5) * 0.1 }
        var best = 0.0
        for _ in 0..<8 {
            let began = DispatchTime.now().uptimeNanoseconds
            Gemm.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            best = max(best, 2.0 * Double(m * n * k) / seconds / 1e9)
        }
        Gemm.setThreads(1)  // the network's lanes bring their own parallelism
        return best
    }
}

import Data
import Dispatch
import Kernels
import Model
import Randomness

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

    public func run() -> Result {
        let net = Network(architecture: architecture, maxBatch: batch, threads: threads)
        net.initialize(seed: 1)
        let adam = Adam(parameterCount: net.layout.count)
        let images = FloatBuffer(count: batch * 3072), labels = FloatBuffer(count: batch), dLogits = FloatBuffer(count: batch)
        var rng = SplitMix64(seed: 2)
        for i in 0..<images.count { images.pointer[i] = rng.nextUnitFloat() }
        for i in 0..<batch { labels.pointer[i] = Float(i & 1) }
        var step = 0
        func trainStep() {
            net.zeroGradients()
            let logits = net.forward(input: images.pointer, batch: batch, dropout: .init(seed: 1, step: step, firstSample: 0))
            BinaryCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits, labels: labels.pointer, count: batch)
            net.backward(dLogits: dLogits.pointer)
            let began = DispatchTime.now().uptimeNanoseconds
            adam.update(parameters: net.parameters, gradients: net.gradients, learningRate: 1e-3, threads: threads)
            net.profile?.add("adam", nanoseconds: DispatchTime.now().uptimeNanoseconds - began)
            step += 1
        }
        for _ in 0..<warmupSteps { trainStep() }
        if profile { net.profile = LayerProfile() }
        var rates: [Double] = []
        for _ in 0..<windows {
            let began = DispatchTime.now().uptimeNanoseconds
            var steps = 0, elapsed = 0.0
            repeat {
                trainStep()
                steps += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            } while elapsed < windowSeconds
            rates.append(Double(steps * batch) / elapsed)
        }
        var result = Result(imagesPerSecond: rates)
        if let p = net.profile {
            result.layers = p.entries.map { ($0.name, Double($0.nanoseconds) / 1e6 / Double(step - warmupSteps)) }
        }
        return result
    }

    /// Floating-point operations of one training image: forward, weight gradients and input
    /// gradients of every GEMM (conv1's input gradient is never computed).
    public static func flopsPerImage(_ a: Architecture) -> Double {
        let conv1 = 2.0 * 900 * 27 * 32, conv2 = 2.0 * 169 * 288 * 64
        let dense = 2.0 * Double(a.headInputs * a.hiddenWidth), output = 2.0 * Double(a.hiddenWidth)
        return conv1 * 2 + (conv2 + dense + output) * 3
    }

    /// Measured sgemm GFLOP/s on the dense layer's forward shape at batch 128 (M128 K2304 N4096),
    /// with OpenBLAS's own threading over `threads` threads.
    public static func measureGemmPeak(threads: Int) -> Double {
        Gemm.setThreads(threads)
        let m = 128, k = 2304, n = 4096
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

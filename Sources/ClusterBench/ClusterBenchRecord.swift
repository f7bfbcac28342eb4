/// `cifake bench cluster --json`: what was run, and the figures.
public struct ClusterBenchRecord: Sendable, Equatable, Codable {
    public var bench = "cluster"
    public var workers: Int
    /// Each link's rate each way, as given to tc; nil: unshaped.
    public var rate: String?
    /// The qdisc on every link end (`tbf rate 1gbit burst 1mb latency 100ms`, `netem rate 1gbit`, `unshaped`).
    public var shaping: String
    /// `curve` or `plain`.
    public var transportSecurity: String
    public var gradientCompression: String?
    /// `CNN2D (D=4096)`, ...
    public var model: String
    public var parameters: Int
    public var batchPerWorker: Int
    public var threadsPerWorker: Int
    public var warmupSteps: Int
    public var result: ClusterBenchResult

    public init(workers: Int, rate: String?, shaping: String, transportSecurity: String, gradientCompression: String?, model: String,
                parameters: Int, batchPerWorker: Int, threadsPerWorker: Int, warmupSteps: Int, result: ClusterBenchResult) {
        self.workers = workers
        self.rate = rate
        self.shaping = shaping
        self.transportSecurity = transportSecurity
        self.gradientCompression = gradientCompression
        self.model = model
        self.parameters = parameters
        self.batchPerWorker = batchPerWorker
        self.threadsPerWorker = threadsPerWorker
        self.warmupSteps = warmupSteps
        self.result = result
    }

    enum CodingKeys: String, CodingKey {
        case bench, workers, rate, shaping
        case transportSecurity = "transport_security"
        case gradientCompression = "gradient_compression"
        case model, parameters
        case batchPerWorker = "batch_per_worker"
        case threadsPerWorker = "threads_per_worker"
        case warmupSteps = "warmup_steps"
        case result
    }
}

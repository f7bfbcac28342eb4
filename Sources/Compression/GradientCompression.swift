/// How gradients travel between replicas (the configuration key `gradient_compression`).
public enum GradientCompression: String, Sendable, Equatable, CaseIterable, Codable, CustomStringConvertible {
    /// The exact Float32 ring.
    case none
    /// bfloat16 on the wire, Float32 sums.
    case bf16
    /// A low-rank (PowerSGD) approximation of each large weight gradient, with error feedback;
    /// small tensors (biases, convolutions) travel exactly.
    case powersgd
    /// Chosen when the ring forms, from its slowest link's measured speed and the compute time.
    case auto

    public var description: String { rawValue }
}

/// The hosts' `eth0` counters read at one moment, with the newest step the step log showed then.
public struct TrafficSample: Sendable, Equatable {
    /// The newest completed step when the counters were read.
    public var step: Int
    /// One per worker host, in host order.
    public var workers: [LinkCounters]
    public var coordinator: LinkCounters

    public init(step: Int, workers: [LinkCounters], coordinator: LinkCounters) {
        self.step = step
        self.workers = workers
        self.coordinator = coordinator
    }
}

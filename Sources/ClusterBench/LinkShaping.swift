/// How every simulated link is slowed, both ways: netem's rate where the kernel has netem, else
/// a token bucket (`tbf rate RATE burst 1mb latency 100ms`, as the anchors' netns_hosts.py does).
public enum LinkShaping: Sendable, Equatable {
    case unshaped
    case netem(rate: String)
    case tokenBucket(rate: String)

    /// The qdisc after `tc qdisc add dev DEV root`; nil when unshaped.
    public var qdisc: [String]? {
        switch self {
        case .unshaped: nil
        case .netem(let rate): ["netem", "rate", rate]
        case .tokenBucket(let rate): ["tbf", "rate", rate, "burst", "1mb", "latency", "100ms"]
        }
    }

    public var description: String { qdisc?.joined(separator: " ") ?? "unshaped" }

    /// Bits per second of a tc rate (`1gbit`, `100mbit`, `500kbit`, `10mbps` = bytes), the
    /// decimal units tc takes; nil for anything else.
    public static func bitsPerSecond(_ rate: String) -> Double? {
        let units: [(suffix: String, factor: Double)] = [
            ("tbit", 1e12), ("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3),
            ("tbps", 8e12), ("gbps", 8e9), ("mbps", 8e6), ("kbps", 8e3), ("bit", 1), ("bps", 8),
        ]
        let text = rate.lowercased()
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }),
              let number = Double(text.dropLast(unit.suffix.count)), number > 0, number.isFinite else { return nil }
        return number * unit.factor
    }
}

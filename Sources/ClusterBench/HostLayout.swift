/// The simulated hosts of one benchmark run: a network namespace per host, each with `eth0` at
/// 10.78.0.(i+1)/24 on a veth link whose other end, `p<i>`, is a port of the bridge `br0` in a
/// switch namespace. Host 0 runs the coordinator, hosts 1...N the workers.
///
/// Every name carries the prefix and the benchmark's process id, so that a later run can tell the
/// namespaces of a benchmark that died without cleaning up (its process is gone) from those of
/// one still running.
public struct HostLayout: Sendable, Equatable {
    public static let prefix = "cifake-bench-"

    public let owner: Int32
    /// Hosts, coordinator included.
    public let hosts: Int

    public init(owner: Int32, hosts: Int) throws(ClusterBenchError) {
        guard (2...250).contains(hosts) else { throw .invalid(option: "--hosts", expected: "1...249 workers", found: "\(hosts - 1)") }
        self.owner = owner
        self.hosts = hosts
    }

    public var switchNamespace: String { "\(Self.prefix)\(owner)-sw" }
    public func namespace(ofHost i: Int) -> String { "\(Self.prefix)\(owner)-h\(i)" }
    public func address(ofHost i: Int) -> String { "10.78.0.\(i + 1)" }
    /// The bridge port (in the switch namespace) of host `i`'s link.
    public func switchPort(ofHost i: Int) -> String { "p\(i)" }
    /// Switch first: created first, and deleting it first takes every link with it.
    public var namespaces: [String] { [switchNamespace] + (0..<hosts).map(namespace(ofHost:)) }

    /// Each host's eth0 counters, in host order, from its link's other end on the switch (one
    /// reading of the switch gives every host's at the same moment): what a port receives its
    /// host sent, and the reverse.
    public func hostCounters(fromSwitchPorts ports: [String: LinkCounters]) throws(ClusterBenchError) -> [LinkCounters] {
        try (0..<hosts).map { i throws(ClusterBenchError) in
            guard let port = ports[switchPort(ofHost: i)] else {
                throw .unreadable(what: "ip -s -j link show in \(switchNamespace)", expected: "port \(switchPort(ofHost: i))",
                                  found: ports.keys.sorted().joined(separator: ", "))
            }
            return LinkCounters(rxBytes: port.txBytes, txBytes: port.rxBytes)
        }
    }

    /// The namespaces named by `ip netns list` (one per line, `NAME` or `NAME (id: N)`) that a
    /// benchmark made, with the process id of the benchmark that made each.
    public static func benchmarkNamespaces(inNetnsList text: String) -> [(name: String, owner: Int32)] {
        text.split(separator: "\n").compactMap { line in
            guard let name = line.split(separator: " ").first, name.hasPrefix(prefix),
                  let owner = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }) else { return nil }
            return (String(name), owner)
        }
    }
}

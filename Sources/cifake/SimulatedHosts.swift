import ClusterBench
import Foundation

/// The hosts of a `HostLayout` made with iproute2: the switch namespace with its bridge, one
/// namespace per host with a veth link to it, every link shaped both ways (the host's end shapes
/// what it sends, the switch's end what it receives). Every namespace is handed to the teardown
/// as soon as it exists.
struct SimulatedHosts {
    let layout: HostLayout
    let ip: String
    let tc: String
    let teardown: Teardown

    /// Deletes the namespaces of earlier benchmarks whose process is gone (killed before they
    /// could clean up), and kills what still runs in them; returns their names.
    static func removeStale(ip: String) throws -> [String] {
        let listed = try Tool.check(ip, ["netns", "list"])
        let stale = HostLayout.benchmarkNamespaces(inNetnsList: listed).filter { $0.owner != getpid() && kill($0.owner, 0) != 0 && errno == ESRCH }
        for (name, _) in stale {
            let pids = (try? Tool.check(ip, ["netns", "pids", name]))?.split(separator: "\n").compactMap { Int32($0) } ?? []
            for pid in pids { kill(pid, SIGKILL) }
            _ = try? Tool.run(ip, ["netns", "del", name])
        }
        return stale.map(\.name)
    }

    /// Makes the namespaces and links; shapes them to `rate` (nil: unshaped). Returns the shaping.
    func build(rate: String?) throws -> LinkShaping {
        let sw = layout.switchNamespace
        try make(namespace: sw)
        try Tool.check(ip, ["-n", sw, "link", "add", "br0", "type", "bridge"])
        try Tool.check(ip, ["-n", sw, "link", "set", "br0", "up"])
        for i in 0..<layout.hosts {
            let ns = layout.namespace(ofHost: i), port = layout.switchPort(ofHost: i)
            try make(namespace: ns)
            try Tool.check(ip, ["-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try Tool.check(ip, ["-n", sw, "link", "set", port, "master", "br0", "up"])
            try Tool.check(ip, ["-n", ns, "addr", "add", "\(layout.address(ofHost: i))/24", "dev", "eth0"])
            try Tool.check(ip, ["-n", ns, "link", "set", "eth0", "up"])
            try Tool.check(ip, ["-n", ns, "link", "set", "lo", "up"])
        }
        guard let rate else { return .unshaped }
        // netem where the kernel has it (probed on the first link), else a token bucket.
        let ends = (0..<layout.hosts).flatMap { [(layout.namespace(ofHost: $0), "eth0"), (sw, layout.switchPort(ofHost: $0))] }
        var shaping = LinkShaping.netem(rate: rate)
        let probe = try Tool.run(tc, ["-n", ends[0].0, "qdisc", "add", "dev", ends[0].1, "root"] + shaping.qdisc!)
        if probe.status != 0 {
            shaping = .tokenBucket(rate: rate)
            try Tool.check(tc, ["-n", ends[0].0, "qdisc", "add", "dev", ends[0].1, "root"] + shaping.qdisc!)
        }
        for (ns, device) in ends.dropFirst() {
            try Tool.check(tc, ["-n", ns, "qdisc", "add", "dev", device, "root"] + shaping.qdisc!)
        }
        return shaping
    }

    /// Every host's eth0 byte counters, in host order, read at once on the switch's ports.
    func counters() throws -> [LinkCounters] {
        try layout.hostCounters(fromSwitchPorts: LinkCounters.byInterface(ipJSON: Tool.check(ip, ["-n", layout.switchNamespace, "-s", "-j", "link", "show"])))
    }

    /// `ip netns exec NS` for host `i`: what runs a program there.
    func exec(onHost i: Int) -> [String] { ["netns", "exec", layout.namespace(ofHost: i)] }

    private func make(namespace name: String) throws {
        try teardown.guarded {
            try Tool.check(ip, ["netns", "add", name])
            teardown.adoptNamespace(name)
        }
    }
}

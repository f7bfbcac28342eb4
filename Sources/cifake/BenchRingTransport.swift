import ArgumentParser
import Transport

/// How the benchmarks' rank processes reach each other on the ring: as cluster workers on one
/// host do (Unix sockets in the abstract namespace) or as workers on different hosts do (TCP,
/// here on 127.0.0.1).
enum BenchRingTransport: String, ExpressibleByArgument, CaseIterable {
    case ipc, tcp

    /// The endpoint rank `rank` binds its ring socket to; the name or port is chosen at run time.
    func bindEndpoint(rank: Int) -> String {
        self == .ipc ? HostLocality.abstractEndpoint("bench-\(rank)") : "tcp://127.0.0.1:*"
    }

    var label: String { self == .ipc ? "ipc (Unix sockets)" : "tcp (127.0.0.1)" }
}

/// One worker's place on the ring. Ring order is rank order: rank r receives from r-1 and
/// sends to r+1 (mod world size).
public struct RingMember: Sendable, Equatable {
    public var rank: Int
    public var nodeID: String
    public var host: String
    /// Where this rank's ring receive socket is bound (its predecessor connects here).
    public var endpoint: String
    /// This rank's CURVE public key (Z85), as the coordinator authenticated it; empty on plain
    /// TCP. The predecessor trusts only this key when it connects to `endpoint`.
    public var publicKey: String
    /// The same socket's Unix-socket endpoint for a predecessor on the same host; empty if none.
    public var localEndpoint: String
    /// Where `localEndpoint` is reachable from (kernel boot and network namespace); empty if unknown.
    public var locality: String

    public init(rank: Int, nodeID: String, host: String, endpoint: String, publicKey: String = "",
                localEndpoint: String = "", locality: String = "") {
        self.rank = rank
        self.nodeID = nodeID
        self.host = host
        self.endpoint = endpoint
        self.publicKey = publicKey
        self.localEndpoint = localEndpoint
        self.locality = locality
    }

    /// The endpoint a predecessor at `locality` connects to: the Unix socket when both share a
    /// kernel and a network namespace (abstract Unix sockets are reachable exactly there), else TCP.
    public func endpoint(from locality: String) -> String {
        usesLocalEndpoint(from: locality) ? localEndpoint : endpoint
    }

    /// Whether a predecessor at `locality` reaches this member through its Unix socket.
    public func usesLocalEndpoint(from locality: String) -> Bool {
        !localEndpoint.isEmpty && !locality.isEmpty && locality == self.locality
    }
}

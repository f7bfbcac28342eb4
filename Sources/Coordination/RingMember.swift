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

    public init(rank: Int, nodeID: String, host: String, endpoint: String, publicKey: String = "") {
        self.rank = rank
        self.nodeID = nodeID
        self.host = host
        self.endpoint = endpoint
        self.publicKey = publicKey
    }
}

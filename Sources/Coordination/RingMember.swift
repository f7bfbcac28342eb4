/// One worker's place on the ring. Ring order is rank order: rank r receives from r-1 and
/// sends to r+1 (mod world size).
public struct RingMember: Sendable, Equatable {
    public var rank: Int
    public var nodeID: String
    public var host: String
    /// Where this rank's ring receive socket is bound (its predecessor connects here).
    public var endpoint: String

    public init(rank: Int, nodeID: String, host: String, endpoint: String) {
        self.rank = rank
        self.nodeID = nodeID
        self.host = host
        self.endpoint = endpoint
    }
}

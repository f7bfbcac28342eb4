/// How fast the coordinator hands out bulk chunks (data, checkpoints) to one peer.
///
/// An honest fetcher asks for one range, waits for it, and asks for the next: each request's
/// offset is past the last chunk it was served. A peer that asks again for a range it was already
/// served (a resend after a lost reply) gets it again only after `resendInterval`; so a peer that
/// asks and never reads gets one chunk per interval, not one per request, and what the socket
/// queues for it stays bounded (its send high-water mark times the chunk size).
public struct ChunkPacing: Sendable {
    /// The most bytes one chunk carries, whatever a peer asks for.
    public static let maximumChunkBytes = 4 << 20
    public let resendInterval: Double
    /// Peers remembered at most; the longest-quiet are forgotten first.
    public let maximumPeers: Int
    private var last: [PeerID: (stream: Int, offset: UInt64, time: Double)] = [:]

    public init(resendInterval: Double = 2, maximumPeers: Int = 1024) {
        self.resendInterval = resendInterval
        self.maximumPeers = maximumPeers
    }

    /// Whether `peer` may be served the range starting at `offset` of `stream` (the data, or
    /// one checkpoint: any number that tells them apart) now; records it if so.
    public mutating func allows(_ peer: PeerID, stream: Int, offset: UInt64, now: Double) -> Bool {
        if let previous = last[peer], previous.stream == stream, offset <= previous.offset, now - previous.time < resendInterval {
            return false
        }
        if last[peer] == nil, last.count >= maximumPeers, let quietest = last.min(by: { $0.value.time < $1.value.time })?.key {
            last[quietest] = nil
        }
        last[peer] = (stream, offset, now)
        return true
    }
}

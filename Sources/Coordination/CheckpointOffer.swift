/// A worker tells the coordinator it holds a checkpoint of the weights after `step`:
/// `totalBytes` long with XXH64 `checksum` over the whole object: the one digest of those bytes,
/// checked once by whoever receives them.
public struct CheckpointOffer: Sendable, Equatable {
    public var step: Int
    public var totalBytes: UInt64
    public var checksum: UInt64

    public init(step: Int, totalBytes: UInt64, checksum: UInt64) {
        self.step = step
        self.totalBytes = totalBytes
        self.checksum = checksum
    }
}

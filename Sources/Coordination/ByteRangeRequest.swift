/// A request for `length` bytes at `offset` of the object (checkpoint or state) for `step`.
public struct ByteRangeRequest: Sendable, Equatable {
    public var step: Int
    public var offset: UInt64
    /// At most the wire's `WireCodec.maximumChunkBytes`.
    public var length: Int

    public init(step: Int, offset: UInt64, length: Int) {
        self.step = step
        self.offset = offset
        self.length = length
    }
}

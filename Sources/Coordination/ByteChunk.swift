import Checksums
/// One piece of a large byte object (a checkpoint file, or a worker's weights and optimizer
/// state for a joining rank): `bytes` belong at `offset ..< offset + bytes.count` of an object
/// of `total` bytes. `checksum` is XXH64 of `bytes`; the decoder verifies it.
public struct ByteChunk: Sendable, Equatable {
    /// The step of the object: a checkpoint or state holding the weights after `step` completed steps.
    public var step: Int
    public var offset: UInt64
    public var total: UInt64
    public var checksum: UInt64
    public var bytes: [UInt8]

    /// A chunk with its checksum computed.
    public init(step: Int, offset: UInt64, total: UInt64, bytes: [UInt8]) {
        self.init(step: step, offset: offset, total: total, checksum: XXH64.hash(bytes), bytes: bytes)
    }

    public init(step: Int, offset: UInt64, total: UInt64, checksum: UInt64, bytes: [UInt8]) {
        self.step = step
        self.offset = offset
        self.total = total
        self.checksum = checksum
        self.bytes = bytes
    }
}

extension ByteChunk {
    /// `length` bytes of `bytes` from `offset`, both clamped to the end.
    public init(of bytes: [UInt8], step: Int, offset: UInt64, length: Int) {
        let begin = Int(min(offset, UInt64(bytes.count))), end = begin + min(max(length, 0), bytes.count - begin)
        self.init(step: step, offset: UInt64(begin), total: UInt64(bytes.count), bytes: Array(bytes[begin..<end]))
    }
}

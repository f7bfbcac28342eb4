import Foundation

/// A fixed-size, 64-byte aligned, zero-initialised Float buffer owned by one object.
/// Planned once (per model, per batch size) and reused every step: the training step allocates
/// nothing.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "buffer size must be non-negative")
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Float] { Array(buffer) }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "size mismatch: \(other.count) vs \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// A 64-bit hash of the exact bit patterns: equal only for bitwise-identical contents
    /// (with overwhelming probability). Used to check that replicas agree.
    public func checksum() -> UInt64 {
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15
        pointer.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
            for i in 0..<count {
                h = (h ^ UInt64(bits[i])) &* 0x0000_0100_0000_01b3
                h ^= h >> 29
            }
        }
        return h
    }
}

/// One named parameter tensor inside the flat parameter buffer.
public struct TensorSpec: Sendable, Equatable, Hashable {
    public var name: String
    public var shape: [Int]
    /// Glorot fan-in and fan-out; zero for biases (which start at zero).
    public var fanIn: Int
    public var fanOut: Int
    /// First element of this tensor in the flat buffer (set by `ParameterLayout`).
    public internal(set) var offset: Int = 0

    public init(name: String, shape: [Int], fanIn: Int = 0, fanOut: Int = 0) {
        self.name = name; self.shape = shape; self.fanIn = fanIn; self.fanOut = fanOut
    }

    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The offset table of the one flat parameter buffer, placed by `ShapePlan`. Gradients, Adam's
/// moments, checkpoints and the all-reduce all use this same layout.
public struct ParameterLayout: Sendable, Equatable {
    public let tensors: [TensorSpec]
    public let count: Int

    public init(_ specs: [TensorSpec]) {
        var offset = 0
        var placed: [TensorSpec] = []
        for var spec in specs {
            spec.offset = offset
            offset += spec.count
            placed.append(spec)
        }
        tensors = placed
        count = offset
    }

    public subscript(name: String) -> TensorSpec {
        guard let spec = tensors.first(where: { $0.name == name }) else {
            preconditionFailure("no parameter tensor named '\(name)'")
        }
        return spec
    }
}

import Foundation

/// The safetensors layout: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to `{dtype, shape, data_offsets}` plus `__metadata__` (string to string), then
/// the raw little-endian tensor bytes. Python reads it with `safetensors.numpy.load_file`.
public enum SafeTensors {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name; self.shape = shape; self.values = values
        }
    }

    public static func encode(_ tensors: [Tensor], metadata: [String: String]) -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var out = headerBytes(header, reserving: offset)
        for t in tensors {
            t.values.withUnsafeBytes { out.append(contentsOf: $0) }  // x86-64 and arm64 are little-endian
        }
        return out
    }

    /// The file's first bytes: the header's length and its JSON (keys sorted, padded with spaces
    /// so that the data section stays 8-byte aligned), with room for `dataBytes` more.
    private static func headerBytes(_ header: [String: Any], reserving dataBytes: Int) -> [UInt8] {
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + dataBytes)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    /// The file's `__metadata__`, read from its header alone (the tensors are not looked at).
    public static func metadata(of bytes: [UInt8], source: String) throws(SafeTensorsError) -> [String: String] {
        try header(of: bytes, source: source).header["__metadata__"] as? [String: String] ?? [:]
    }

    /// The same file with its `__metadata__` changed by `update`: the tensors' entries and bytes
    /// are kept as they are (their offsets count from the data section's start, which only
    /// moves), so nothing is decoded but the header. The file must be one ``decode(_:source:)``
    /// accepts; its header is checked only as far as this needs.
    public static func updatingMetadata(in bytes: [UInt8], source: String,
                                        _ update: (inout [String: String]) -> Void) throws(SafeTensorsError) -> [UInt8] {
        var (header, dataStart) = try header(of: bytes, source: source)
        var metadata = header["__metadata__"] as? [String: String] ?? [:]
        update(&metadata)
        header["__metadata__"] = metadata
        var out = headerBytes(header, reserving: bytes.count - dataStart)
        bytes.withUnsafeBytes { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[dataStart...])) }
        return out
    }

    /// The header's JSON object and where the data section starts.
    private static func header(of bytes: [UInt8], source: String) throws(SafeTensorsError) -> (header: [String: Any], dataStart: Int) {
        guard bytes.count >= 8 else { throw .malformed(source, "file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(min(bytes.count - 8, maximumHeaderBytes)) else {
            throw .malformed(source, "header length \(length) exceeds the file's \(bytes.count - 8) remaining bytes or the maximum \(maximumHeaderBytes)")
        }
        let dataStart = 8 + Int(length)
        guard jsonDepth(bytes[8..<dataStart]) <= maximumHeaderDepth,
              let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))) as? [String: Any] else {
            throw .malformed(source, "header is not a JSON object")
        }
        return (header, dataStart)
    }

    /// Largest JSON header accepted: 16 MiB (ours are a few KiB; Python's safetensors allows 100 MB).
    public static let maximumHeaderBytes = 16 << 20
    /// Deepest JSON nesting accepted in the header (ours is 3: object, tensor entry, shape).
    public static let maximumHeaderDepth = 8
    /// Most tensors accepted in one file (a checkpoint holds 24).
    public static let maximumTensors = 4096
    /// Most dimensions of one tensor.
    public static let maximumRank = 8

    /// Reads a safetensors file of F32 tensors, checking every length, offset and shape against
    /// the file before anything is allocated: the tensors' byte ranges must tile the data
    /// section exactly (no gap, no overlap, nothing past the end) and each must hold exactly its
    /// shape's elements.
    public static func decode(_ bytes: [UInt8], source: String) throws(SafeTensorsError) -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw .malformed(source, "file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8) else {
            throw .malformed(source, "header length \(length) exceeds the file's \(bytes.count - 8) remaining bytes (truncated?)")
        }
        guard length <= UInt64(maximumHeaderBytes) else {
            throw .malformed(source, "header length \(length) is beyond the maximum \(maximumHeaderBytes) bytes")
        }
        let dataStart = 8 + Int(length)
        let dataLength = bytes.count - dataStart
        let headerBytes = bytes[8..<dataStart]
        let depth = jsonDepth(headerBytes)
        guard depth <= maximumHeaderDepth else {
            throw .malformed(source, "header nests \(depth) levels deep, expected at most \(maximumHeaderDepth)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)),
              let header = object as? [String: Any] else {
            throw .malformed(source, "header is not a JSON object")
        }
        guard header.count <= maximumTensors + 1 else {
            throw .malformed(source, "header lists \(header.count) entries, expected at most \(maximumTensors) tensors")
        }
        var metadata: [String: String] = [:]
        if let entry = header["__metadata__"] {
            guard let strings = entry as? [String: String] else {
                throw .malformed(source, "'__metadata__' is not an object of strings to strings")
            }
            metadata = strings
        }
        struct Entry { var name: String; var shape: [Int]; var begin: Int; var end: Int }
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeNumbers = entry["shape"] as? [NSNumber], let offsetNumbers = entry["data_offsets"] as? [NSNumber] else {
                throw .malformed(source, "tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw .malformed(source, "tensor '\(name)' has dtype \(dtype), expected F32") }
            guard shapeNumbers.count <= maximumRank, let shape = integers(shapeNumbers, below: dataLength + 1) else {
                throw .malformed(source, "tensor '\(name)' has shape \(shapeNumbers), expected at most \(maximumRank) dimensions of 0...\(dataLength)")
            }
            guard offsetNumbers.count == 2, let offsets = integers(offsetNumbers, below: dataLength + 1), offsets[0] <= offsets[1] else {
                throw .malformed(source, "tensor '\(name)' has data_offsets \(offsetNumbers), expected [begin, end] with 0 <= begin <= end <= \(dataLength) (the data section's length)")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataLength / 4 else {
                    throw .malformed(source, "tensor '\(name)' has shape \(shape), more elements than the \(dataLength) data bytes hold")
                }
                count = product
            }
            guard offsets[1] - offsets[0] == count * 4 else {
                throw .malformed(source, "tensor '\(name)' data [\(offsets[0]), \(offsets[1])) is \(offsets[1] - offsets[0]) bytes, its shape \(shape) needs \(count * 4)")
            }
            entries.append(Entry(name: name, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        // The ranges, in file order, must cover the data section exactly once.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for e in entries {
            guard e.begin == covered else {
                throw .malformed(source, "tensor '\(e.name)' data begins at \(e.begin), expected \(covered) (ranges must not overlap or leave gaps)")
            }
            covered = e.end
        }
        guard covered == dataLength else {
            throw .malformed(source, "tensors cover \(covered) of the data section's \(dataLength) bytes")
        }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(entries.count)
        for e in entries {
            var values = [Float](repeating: 0, count: (e.end - e.begin) / 4)
            values.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(dataStart + e.begin)..<(dataStart + e.end)])) }
            }
            tensors.append(Tensor(name: e.name, shape: e.shape, values: values))
        }
        return (tensors.sorted { $0.name < $1.name }, metadata)
    }

    /// The numbers as integers in `0..<bound`, or nil if any is not one (fractional, negative,
    /// too large, or a boolean).
    private static func integers(_ numbers: [NSNumber], below bound: Int) -> [Int]? {
        var result: [Int] = []
        for n in numbers {
            let d = n.doubleValue
            guard d >= 0, d < Double(bound), d == d.rounded(), n.int64Value >= 0, Double(n.int64Value) == d else { return nil }
            result.append(Int(n.int64Value))
        }
        return result
    }

    /// The deepest nesting of JSON objects and arrays in `bytes` (brackets inside strings do not count).
    static func jsonDepth(_ bytes: ArraySlice<UInt8>) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}

public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case malformed(String, String)
    case mismatch(String, String)

    public var description: String {
        switch self {
        case .malformed(let source, let detail): "\(source): not a valid safetensors file: \(detail)"
        case .mismatch(let source, let detail): "\(source): \(detail)"
        }
    }
}

extension SafeTensors {
    /// Throws unless `tensors` include one named `prefix + spec.name` with the spec's shape for
    /// every spec: what a caller checks before it allocates buffers for those specs.
    public static func check(_ tensors: [Tensor], hold specs: [TensorSpec], prefix: String = "", source: String) throws(SafeTensorsError) {
        let shapes = Dictionary(tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        for spec in specs {
            let name = prefix + spec.name
            guard let shape = shapes[name] else { throw .mismatch(source, "tensor '\(name)' is missing") }
            guard shape == spec.shape else { throw .mismatch(source, "tensor '\(name)' has shape \(shape), expected \(spec.shape)") }
        }
    }
}

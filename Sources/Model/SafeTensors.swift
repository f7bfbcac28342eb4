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
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }  // pad with spaces: data stays 8-byte aligned
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for t in tensors {
            t.values.withUnsafeBytes { out.append(contentsOf: $0) }  // x86-64 and arm64 are little-endian
        }
        return out
    }

    public static func decode(_ bytes: [UInt8], source: String) throws(SafeTensorsError) -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw .malformed(source, "file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8) else {
            throw .malformed(source, "header length \(length) exceeds the file's \(bytes.count - 8) remaining bytes (truncated?)")
        }
        let dataStart = 8 + Int(length)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])),
              let header = object as? [String: Any] else {
            throw .malformed(source, "header is not a JSON object")
        }
        let metadata = header["__metadata__"] as? [String: String] ?? [:]
        var tensors: [Tensor] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw .malformed(source, "tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw .malformed(source, "tensor '\(name)' has dtype \(dtype), expected F32") }
            let begin = dataStart + offsets[0], end = dataStart + offsets[1]
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, begin <= end, end <= bytes.count, end - begin == count * 4 else {
                throw .malformed(source, "tensor '\(name)' data [\(offsets[0]), \(offsets[1])) does not fit shape \(shape) in a file of \(bytes.count) bytes")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[begin..<end])) }
            }
            tensors.append(Tensor(name: name, shape: shape, values: values))
        }
        return (tensors.sorted { $0.name < $1.name }, metadata)
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

extension Network {
    /// The weights as safetensors bytes, with the architecture in the metadata.
    public func modelFileBytes(metadata extra: [String: String] = [:]) -> [UInt8] {
        let tensors = layout.tensors.map { spec in
            SafeTensors.Tensor(name: spec.name, shape: spec.shape, values: Array(parameters.buffer[spec.range]))
        }
        var metadata = extra
        metadata["format"] = "cifake-model"
        metadata["format_version"] = "1"
        metadata["model"] = architecture.modelName
        metadata["dense"] = String(architecture.hiddenWidth)
        metadata["architecture_digest"] = architecture.digest
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Reads the architecture a model file was written for.
    public static func architecture(ofModelFile bytes: [UInt8], source: String) throws(SafeTensorsError) -> (Architecture, [String: String]) {
        let (_, metadata) = try SafeTensors.decode(bytes, source: source)
        guard let model = metadata["model"], let dense = metadata["dense"].flatMap(Int.init) else {
            throw .mismatch(source, "metadata lacks 'model' and 'dense': not a cifake model file")
        }
        do {
            return (try Architecture(model: model, dense: dense), metadata)
        } catch {
            throw .mismatch(source, error.description)
        }
    }

    /// Loads weights written by `modelFileBytes`; every tensor must be present with its shape.
    public func loadModelFile(_ bytes: [UInt8], source: String) throws(SafeTensorsError) {
        let (tensors, _) = try SafeTensors.decode(bytes, source: source)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for spec in layout.tensors {
            guard let t = byName[spec.name] else { throw .mismatch(source, "tensor '\(spec.name)' is missing") }
            guard t.shape == spec.shape else {
                throw .mismatch(source, "tensor '\(spec.name)' has shape \(t.shape), the \(architecture.displayName) model expects \(spec.shape)")
            }
            t.values.withUnsafeBufferPointer { parameters.pointer.advanced(by: spec.offset).update(from: $0.baseAddress!, count: spec.count) }
        }
    }
}

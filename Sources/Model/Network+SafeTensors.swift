/// A network's weights as a safetensors model file (`cifake predict --model` reads it).
extension Network {
    /// The weights as safetensors bytes, with the architecture in the metadata.
    public func modelFileBytes(metadata extra: [String: String] = [:]) -> [UInt8] {
        let tensors = layout.tensors.map { spec in
            SafeTensors.Tensor(name: spec.name, shape: spec.shape, values: Array(parameters.buffer[spec.range]))
        }
        var metadata = extra
        metadata["format"] = "cifake-model"
        metadata["format_version"] = "1"
        metadata.merge(architecture.metadata) { _, new in new }
        metadata["architecture_digest"] = architecture.digest
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Reads the architecture a model file was written for, and checks that the file holds every
    /// tensor of it with its shape, so that a network of that architecture can be allocated and
    /// loaded (a tiny file claiming `dense` 65536 is refused here, before 600 MB are allocated).
    public static func architecture(ofModelFile bytes: [UInt8], source: String) throws(SafeTensorsError) -> (Architecture, [String: String]) {
        let (tensors, metadata) = try SafeTensors.decode(bytes, source: source)
        let architecture: Architecture
        do { architecture = try Architecture(metadata: metadata) } catch {
            throw .mismatch(source, error == .missingMetadata ? "metadata lacks 'model' and 'dense': not a cifake model file" : error.description)
        }
        try SafeTensors.check(tensors, hold: architecture.tensors, source: source)
        return (architecture, metadata)
    }

    /// Loads weights written by `modelFileBytes`; every tensor must be present with its shape.
    public func loadModelFile(_ bytes: [UInt8], source: String) throws(SafeTensorsError) {
        let (tensors, _) = try SafeTensors.decode(bytes, source: source)
        do { try SafeTensors.check(tensors, hold: layout.tensors, source: source) } catch {
            guard case .mismatch(_, let detail) = error else { throw error }
            throw .mismatch(source, "\(detail) (the \(architecture.displayName) model)")
        }
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for spec in layout.tensors {
            byName[spec.name]!.values.withUnsafeBufferPointer { parameters.pointer.advanced(by: spec.offset).update(from: $0.baseAddress!, count: spec.count) }
        }
    }
}

import Checksums
import Kernels
import Model

/// Everything needed to continue a run exactly where it stopped: the weights, Adam's moments
/// and step, and where training stands (step, epoch, seed, configuration). Sample order,
/// augmentation and dropout are functions of (seed, epoch, position, step), so no generator
/// state needs saving: the step *is* the data cursor and the RNG state.
///
/// On disk it is one safetensors file (Python's `safetensors.numpy.load_file` reads it): the
/// weights under the model file's tensor names (so `cifake predict --model` accepts a checkpoint),
/// Adam's moments under `adam.m/NAME` and `adam.v/NAME`, and the resume state in `__metadata__`
/// with three checksums: XXH64 of all tensor bytes (`payload_xxh64`, catches truncation and bit
/// rot), XXH64 of the other metadata entries (`metadata_xxh64`: an edited `step` is refused, not
/// resumed) and the replicas' weight checksum (`weights_checksum`, the value ranks agree on).
public struct Checkpoint: Sendable {
    public var architecture: Architecture
    public var state: TrainingState
    public var parameters: [Float]
    public var firstMoment: [Float]
    public var secondMoment: [Float]

    public init(architecture: Architecture, state: TrainingState, parameters: [Float], firstMoment: [Float], secondMoment: [Float]) {
        self.architecture = architecture
        self.state = state
        self.parameters = parameters
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    /// Captures a replica: its network's weights and its optimizer.
    public init(network: Network, adam: Adam, state: TrainingState) {
        var state = state
        state.adamStep = adam.step
        self.init(architecture: network.architecture, state: state, parameters: network.parameters.array,
                  firstMoment: adam.m.array, secondMoment: adam.v.array)
    }

    /// The replicas' weight checksum (`FloatBuffer.checksum`) of these weights.
    public var weightsChecksum: UInt64 { FloatBuffer(parameters).checksum() }

    /// Writes the weights and moments back into a replica of the same architecture.
    public func restore(into network: Network, adam: Adam) throws(CheckpointError) {
        guard network.architecture == architecture else {
            throw .mismatch("checkpoint holds \(architecture.displayName), the run trains \(network.architecture.displayName)")
        }
        parameters.withUnsafeBufferPointer { network.parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
        firstMoment.withUnsafeBufferPointer { adam.m.pointer.update(from: $0.baseAddress!, count: $0.count) }
        secondMoment.withUnsafeBufferPointer { adam.v.pointer.update(from: $0.baseAddress!, count: $0.count) }
        adam.step = state.adamStep
    }

    static let format = "cifake-checkpoint"
    /// Version 2 adds `metadata_xxh64`; version 1 files (no metadata checksum) are still read.
    static let formatVersion = "2"
    static let legacyFormatVersion = "1"
    static let metadataHashKey = "metadata_xxh64"
    static let firstMomentPrefix = "adam.m/"
    static let secondMomentPrefix = "adam.v/"

    public func encode() -> [UInt8] {
        let layout = architecture.layout
        var tensors: [SafeTensors.Tensor] = []
        for (prefix, values) in [("", parameters), (Self.firstMomentPrefix, firstMoment), (Self.secondMomentPrefix, secondMoment)] {
            for spec in layout.tensors {
                tensors.append(SafeTensors.Tensor(name: prefix + spec.name, shape: spec.shape, values: Array(values[spec.range])))
            }
        }
        var metadata = state.metadata
        metadata["format"] = Self.format
        metadata["format_version"] = Self.formatVersion
        metadata.merge(architecture.metadata) { _, new in new }
        metadata["architecture_digest"] = architecture.digest
        metadata["weights_checksum"] = Hex.string(weightsChecksum)
        metadata["payload_xxh64"] = Hex.string(Self.payloadHash(tensors))
        metadata[Self.metadataHashKey] = Hex.string(Self.metadataHash(metadata))
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Reads and verifies a checkpoint: layout, format, every tensor, the metadata's range and
    /// its checksum, and the tensors' checksums. Nothing is allocated for the model before the
    /// file is known to hold every tensor of it.
    public static func decode(_ bytes: [UInt8], source: String) throws(CheckpointError) -> Checkpoint {
        let tensors: [SafeTensors.Tensor], metadata: [String: String]
        do { (tensors, metadata) = try SafeTensors.decode(bytes, source: source) } catch { throw .damaged(source, error.description) }
        guard metadata["format"] == format else {
            throw .damaged(source, "metadata 'format' is \(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'")
        }
        switch metadata["format_version"] {
        case formatVersion?:
            let recorded = metadata[metadataHashKey] ?? ""
            let actual = Hex.string(metadataHash(metadata))
            guard recorded == actual else {
                throw .damaged(source, "metadata has XXH64 \(actual), the header records \(recorded.isEmpty ? "none" : recorded) (edited or corrupt)")
            }
        case legacyFormatVersion?:
            break  // written before the metadata had a checksum
        case let other:
            throw .damaged(source, "format_version \(other ?? "missing"), this build reads \(legacyFormatVersion) and \(formatVersion)")
        }
        let architecture: Architecture
        do { architecture = try Architecture(metadata: metadata) } catch { throw .damaged(source, error.description) }
        let state: TrainingState
        do { state = try TrainingState(metadata: metadata) } catch { throw .damaged(source, error.detail) }

        let expected = metadata["payload_xxh64"] ?? ""
        let actual = Hex.string(payloadHash(ofFile: bytes))
        guard expected == actual else {
            throw .damaged(source, "tensor bytes have XXH64 \(actual), the header records \(expected.isEmpty ? "none" : expected) (truncated or corrupt)")
        }
        let layout = architecture.layout
        let prefixes = ["", firstMomentPrefix, secondMomentPrefix]
        for prefix in prefixes {
            do { try SafeTensors.check(tensors, hold: layout.tensors, prefix: prefix, source: source) } catch {
                guard case .mismatch(_, let detail) = error else { throw .damaged(source, error.description) }
                throw .damaged(source, "\(detail) (the \(architecture.displayName) model)")
            }
        }
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var buffers: [[Float]] = []
        for prefix in prefixes {
            var values = [Float](repeating: 0, count: layout.count)
            for spec in layout.tensors { values.replaceSubrange(spec.range, with: byName[prefix + spec.name]!.values) }
            buffers.append(values)
        }
        let checkpoint = Checkpoint(architecture: architecture, state: state, parameters: buffers[0], firstMoment: buffers[1], secondMoment: buffers[2])
        let recorded = metadata["weights_checksum"] ?? ""
        guard Hex.string(checkpoint.weightsChecksum) == recorded else {
            throw .damaged(source, "weights checksum \(Hex.string(checkpoint.weightsChecksum)) differs from the recorded \(recorded)")
        }
        return checkpoint
    }

    /// The checkpoint file `bytes` with `progress` entries added to its resume state (replacing
    /// those of the same keys), its metadata checksum recomputed: how a cluster's coordinator
    /// adds the run's bookkeeping to rank 0's upload. Only the header is rewritten; the tensors,
    /// their checksum and the weights checksum stay as they are. `bytes` must be a checkpoint
    /// that ``decode(_:source:)`` accepted.
    public static func settingProgress(_ progress: [String: String], in bytes: [UInt8], source: String) throws(CheckpointError) -> [UInt8] {
        do {
            return try SafeTensors.updatingMetadata(in: bytes, source: source) { metadata in
                for (k, v) in progress { metadata["progress.\(k)"] = v }
                metadata[metadataHashKey] = Hex.string(metadataHash(metadata))
            }
        } catch { throw .damaged(source, error.description) }
    }

    /// The replicas' weight checksum the checkpoint file `bytes` records (`weights_checksum`),
    /// read from its header alone: for bytes whose digest was checked on arrival, what their
    /// writer computed from the weights it wrote (``decode(_:source:)`` recomputes it, and
    /// whoever loads the checkpoint decodes it).
    public static func recordedWeightsChecksum(in bytes: [UInt8], source: String) throws(CheckpointError) -> UInt64 {
        let metadata: [String: String]
        do { metadata = try SafeTensors.metadata(of: bytes, source: source) } catch { throw .damaged(source, error.description) }
        guard metadata["format"] == format, let text = metadata["weights_checksum"], let checksum = UInt64(text, radix: 16) else {
            throw .damaged(source, "metadata lacks the format '\(format)' or a hexadecimal 'weights_checksum'")
        }
        return checksum
    }

    /// The model file (weights only) for these weights, as `cifake predict` reads it.
    public func modelFileBytes(metadata: [String: String] = [:]) -> [UInt8] {
        let network = Network(architecture: architecture, maxBatch: 1, threads: 1)
        parameters.withUnsafeBufferPointer { network.parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
        var extra = metadata
        extra["step"] = String(state.step)
        extra["seed"] = String(state.seed)
        return network.modelFileBytes(metadata: extra)
    }

    /// XXH64 of the tensors' bytes in the order they are written (the file's data section).
    private static func payloadHash(_ tensors: [SafeTensors.Tensor]) -> UInt64 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tensors.reduce(0) { $0 + $1.values.count * 4 })
        for t in tensors { t.values.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        return XXH64.hash(bytes)
    }

    /// XXH64 of every metadata entry but its own checksum, in key order, each key and value
    /// prefixed by its UTF-8 length (so no entry can be shifted into its neighbour).
    static func metadataHash(_ metadata: [String: String]) -> UInt64 {
        var bytes: [UInt8] = []
        for key in metadata.keys.sorted() where key != metadataHashKey {
            for text in [key, metadata[key]!] {
                withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: text.utf8)
            }
        }
        return XXH64.hash(bytes)
    }

    /// XXH64 of a safetensors file's data section (after the 8-byte length and the header).
    private static func payloadHash(ofFile bytes: [UInt8]) -> UInt64 {
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        return bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[(8 + length)...])) }
    }
}

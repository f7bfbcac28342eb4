@testable import Checkpoints
import Checksums
import Foundation
import Kernels
import Model
import XCTest

/// Files from outside: every length, offset, shape and metadata field of a safetensors model or
/// checkpoint is checked before it is used or allocated, and a bad one is a clear error that
/// names the file and the field.
final class HostileCheckpointTests: XCTestCase {
    private func checkpoint(step: Int = 12) -> Checkpoint {
        let network = Network(architecture: .cnn2d(dense: 4), maxBatch: 1)
        network.initialize(seed: 5)
        let adam = Adam(parameterCount: network.layout.count)
        adam.step = step
        return Checkpoint(network: network, adam: adam,
                          state: TrainingState(step: step, stepsPerEpoch: 10, adamStep: step, seed: 1, worldSize: 1,
                                               configuration: "dense: 4\n", progress: ["epoch_seconds": "3.5"]))
    }

    /// A safetensors file whose header is exactly `json`, followed by `data`.
    private func file(_ json: String, data: [UInt8] = []) -> [UInt8] {
        let header = Array(json.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + header + data
    }

    private func assertMalformed(_ bytes: [UInt8], _ expected: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(bytes, source: "hostile.safetensors"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("hostile.safetensors: "), text, file: file, line: line)
            for e in expected { XCTAssertTrue(text.contains(e), "expected '\(e)' in: \(text)", file: file, line: line) }
        }
    }

    func testOffsetsAndShapesAreCheckedAgainstTheFile() {
        let eight = [UInt8](repeating: 0, count: 8)
        // The well-formed file these attacks start from.
        XCTAssertEqual(try SafeTensors.decode(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: eight), source: "ok").tensors.count, 1)
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#, data: eight),
                        "tensor 'a'", "data_offsets", "0 <= begin <= end <= 8")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}"#, data: eight), "tensor 'a'", "data_offsets")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: eight), "data_offsets")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, data: eight), "data_offsets")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eight), "data_offsets")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8]}}"#, data: eight), "data_offsets")
        // Element counts that overflow Int, or that the offsets do not hold.
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: eight), "tensor 'a'", "shape")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[8,8,8,8,8,8,8,8,8],"data_offsets":[0,8]}}"#, data: eight), "at most 8 dimensions")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2,0,3],"data_offsets":[0,8]}}"#, data: eight), "needs 0")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight), "shape")
        // Overlapping, repeated, gapped or incomplete ranges.
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
                        "begins at 4, expected 8")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight), "begins at 4, expected 0")
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight), "cover 4 of the data section's 8 bytes")
        // Not F32, no shape, metadata of the wrong type.
        assertMalformed(file(#"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: eight), "dtype F64, expected F32")
        assertMalformed(file(#"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight), "lacks dtype, shape or data_offsets")
        assertMalformed(file(#"{"__metadata__":{"step":12}}"#), "'__metadata__' is not an object of strings")
    }

    func testHeaderLengthAndNestingAreBounded() {
        var absurd = [UInt8](repeating: 0xFF, count: 8) + Array("{}".utf8)
        assertMalformed(absurd, "header length 18446744073709551615 exceeds")
        absurd.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 0x80])
        assertMalformed(absurd, "header length 9223372036854775808 exceeds")
        let huge = "{}" + String(repeating: " ", count: SafeTensors.maximumHeaderBytes)
        assertMalformed(file(huge), "beyond the maximum \(SafeTensors.maximumHeaderBytes) bytes")
        let deep = "{\"__metadata__\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        assertMalformed(file(deep), "nests 100001 levels deep, expected at most \(SafeTensors.maximumHeaderDepth)")
        // Brackets inside strings are not nesting.
        XCTAssertNoThrow(try SafeTensors.decode(file(#"{"__metadata__":{"config":"[[[[[[[[[[[[{{{{{{{{"}}"#), source: "strings"))
    }

    func testAModelFileMustHoldItsArchitectureBeforeANetworkIsAllocated() {
        let small = Network(architecture: .cnn2d(dense: 4), maxBatch: 1)
        XCTAssertEqual(try Network.architecture(ofModelFile: small.modelFileBytes(), source: "ok").0, .cnn2d(dense: 4))
        // dense 10^9: refused by range, before anything is sized from it.
        let billion = small.modelFileBytes(metadata: [:]).replacingMetadata { $0["dense"] = "1000000000" }
        XCTAssertThrowsError(try Network.architecture(ofModelFile: billion, source: "billion.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("billion.safetensors: dense width must be an integer in 1...65536"), "\(error)")
        }
        // dense 65536 is in range, but the file's tensors are a D=4 model's: refused, nothing allocated.
        let claims = small.modelFileBytes().replacingMetadata { $0["dense"] = "65536" }
        XCTAssertThrowsError(try Network.architecture(ofModelFile: claims, source: "claims.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("claims.safetensors: tensor 'dense.kernel' has shape [2304, 4], expected [2304, 65536]"), "\(error)")
        }
        XCTAssertThrowsError(try Architecture(model: "cnn2d", dense: 65537))
        XCTAssertNoThrow(try Architecture(model: "cnn2d", dense: 65536))
    }

    func testCheckpointMetadataIsRangeChecked() throws {
        let bytes = checkpoint().encode()
        let cases: [(String, String, String)] = [
            ("step", "-1", "metadata 'step' is '-1', expected an integer in 0...1099511627776"),
            ("step", "9223372036854775807", "metadata 'step' is '9223372036854775807'"),
            ("adam_step", "13", "metadata 'adam_step' is '13', expected an integer in 0...12"),
            ("adam_step", "nan", "metadata 'adam_step' is 'nan'"),
            ("steps_per_epoch", "0", "metadata 'steps_per_epoch' is '0', expected an integer in 1...4294967296"),
            ("world_size", "0", "metadata 'world_size' is '0', expected an integer in 1...4096"),
            ("dense", "1000000000", "dense width must be an integer in 1...65536"),
            ("dense", "65536", "tensor 'dense.kernel' has shape [2304, 4], expected [2304, 65536] (the CNN2D D=65536 model)"),
        ]
        for (key, value, expected) in cases {
            let edited = bytes.replacingMetadata(rehash: true) { $0[key] = value }
            XCTAssertThrowsError(try Checkpoint.decode(edited, source: "step-12.safetensors"), "\(key) = \(value)") { error in
                XCTAssertTrue("\(error)".contains("step-12.safetensors: damaged checkpoint: \(expected)"), "\(error)")
            }
        }
    }

    /// The metadata is covered by a checksum: an edited `step` is refused, not resumed.
    func testEditedMetadataIsDetected() throws {
        let bytes = checkpoint().encode()
        for (key, value) in [("step", "11"), ("adam_step", "3"), ("seed", "2"), ("config", "dense: 5\n"), ("progress.epoch_seconds", "1e9")] {
            let edited = bytes.replacingMetadata { $0[key] = value }
            XCTAssertThrowsError(try Checkpoint.decode(edited, source: "step-12.safetensors"), key) { error in
                XCTAssertTrue("\(error)".contains("step-12.safetensors: damaged checkpoint: metadata has XXH64"), "\(error)")
                XCTAssertTrue("\(error)".contains("(edited or corrupt)"), "\(error)")
            }
        }
        let removed = bytes.replacingMetadata { $0["metadata_xxh64"] = nil }
        XCTAssertThrowsError(try Checkpoint.decode(removed, source: "x")) { XCTAssertTrue("\($0)".contains("records none"), "\($0)") }
        // A checkpoint written before the metadata checksum (format version 1) is still read.
        let legacy = bytes.replacingMetadata { $0["metadata_xxh64"] = nil; $0["format_version"] = "1" }
        XCTAssertEqual(try Checkpoint.decode(legacy, source: "legacy").state, checkpoint().state)
        let future = bytes.replacingMetadata(rehash: true) { $0["format_version"] = "3" }
        XCTAssertThrowsError(try Checkpoint.decode(future, source: "x")) { XCTAssertTrue("\($0)".contains("format_version 3, this build reads 1 and 2"), "\($0)") }
    }
}

extension Array where Element == UInt8 {
    /// This safetensors file with its metadata edited (tensors unchanged); with `rehash`, the
    /// metadata checksum is recomputed, as an attacker who knows the format would.
    func replacingMetadata(rehash: Bool = false, _ edit: (inout [String: String]) -> Void) -> [UInt8] {
        var length = 0
        for i in 0..<8 { length |= Int(self[i]) << (8 * i) }
        var header = try! JSONSerialization.jsonObject(with: Data(self[8..<(8 + length)])) as! [String: Any]
        var m = header["__metadata__"] as! [String: String]
        edit(&m)
        if rehash { m[Checkpoint.metadataHashKey] = Hex.string(Checkpoint.metadataHash(m)) }
        header["__metadata__"] = m
        var json = Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        Swift.withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + json + self[(8 + length)...]
    }
}

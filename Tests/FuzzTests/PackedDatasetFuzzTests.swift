import Checksums
import Dataset
import Foundation
import TestSupport
import XCTest

/// Mutated packed data files, read from disk: a typed error or a valid data set, never a trap,
/// a hang or an allocation larger than the file.
final class PackedDatasetFuzzTests: XCTestCase {
    /// The header's count, length, origin and fraction fields.
    static let fields = [8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 72, 80, 88]

    private func sample(origin: CIFAKEDataset.TestOrigin) -> CIFAKEDataset {
        func set(_ count: Int, _ fill: UInt8) -> ImageSet {
            ImageSet(pixels: (0 ..< count * ImageSet.bytesPerImage).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ fill },
                     labels: (0 ..< count).map { UInt8($0 % 2) }, sources: (0 ..< count).map { "c/\($0).png" })
        }
        return CIFAKEDataset(train: set(5, 1), test: set(2, 7), testOrigin: origin, root: "/data/cifake")
    }

    /// Recomputes the trailing chained checksum as the reader would from the (mutated) header,
    /// so that mutations reach the checks behind it.
    private func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 104 else { return bytes }
        func u64(_ at: Int) -> UInt64 { (0 ..< 8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        let values = [24, 32, 64, 72, 80].map(u64)
        guard values.allSatisfy({ $0 < 1 << 36 }) else { return bytes }
        let (train, test) = (Int(values[0]), Int(values[1]))
        let sections = [96, Int(values[2]), train, train * ImageSet.bytesPerImage, Int(values[3]), test, test * ImageSet.bytesPerImage, Int(values[4])]
        guard sections.reduce(0, +) + 8 == bytes.count else { return bytes }
        var out = bytes, h: UInt64 = 0, at = 0
        for length in sections {
            h = XXH64.hash(Array(bytes[at ..< at + length]), seed: h)
            at += length
        }
        for i in 0 ..< 8 { out[at + i] = UInt8(truncatingIfNeeded: h >> (8 * UInt64(i))) }
        return out
    }

    func testMutatedPackedFilesNeverTrap() throws {
        let folder = NSTemporaryDirectory() + "cifake-fuzz-packed-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var valid: [[UInt8]] = []
        for (i, origin) in [CIFAKEDataset.TestOrigin.folder, .stratifiedSplit(fraction: 0.25, seed: 9)].enumerated() {
            try PackedDataset.write(sample(origin: origin), to: "\(folder)/valid\(i).cifake")
            valid.append([UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: "\(folder)/valid\(i).cifake"))))
        }
        let path = "\(folder)/mutated.cifake"
        fuzz("packed", seed: 0xDA7A, iterations: 2000) { _, m in
            var bytes = m.mutate(valid[m.index(valid.count)], donors: valid, fields: Self.fields)
            if m.index(2) == 0 { bytes = resealed(bytes) }
            try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let dataset = try CIFAKEDataset.load(path: path)
                XCTAssertGreaterThan(dataset.train.count, 0)
                XCTAssertEqual(dataset.train.pixels.count, dataset.train.count * ImageSet.bytesPerImage)
                XCTAssertLessThanOrEqual((dataset.train.count + dataset.test.count) * ImageSet.bytesPerImage, bytes.count)
                _ = dataset.testOrigin.description
            } catch let error as DataError {
                XCTAssertTrue(error.description.hasPrefix(path), "errors name the file: \(error)")
            }
        }
    }
}

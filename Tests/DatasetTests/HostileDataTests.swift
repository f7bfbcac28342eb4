import Foundation
import XCTest
@testable import Dataset
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Data folders and packed files from outside: counts, sizes and fractions are checked before
/// anything is allocated, and nothing in a data folder can block the loader.
final class HostileDataTests: XCTestCase {
    /// Opening the FIFO for writing releases a reader blocked in open(2).
    private func release(_ fifo: String) -> () -> Void {
        { let fd = open(fifo, O_WRONLY | O_NONBLOCK); if fd >= 0 { close(fd) } }
    }

    func testAFIFOInAClassFolderIsSkippedWithAMessageNotWaitedOn() throws {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/train/REAL", count: 3, seed: 1)
        try writeImages(root + "/train/FAKE", count: 3, seed: 9)
        try writeImages(root + "/test/REAL", count: 2, seed: 20)
        try writeImages(root + "/test/FAKE", count: 2, seed: 30)
        let fifo = root + "/train/FAKE/zz-pipe.jpg"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for policy in LoadOptions.BadFilePolicy.allCases {
            let log = EventLog()
            let dataset = try withinSeconds(20, unblock: release(fifo)) {
                try CIFAKEDataset.load(path: root, options: LoadOptions(badFiles: policy, threads: 2), onEvent: log.record)
            }
            XCTAssertEqual(dataset.train.count, 6, "\(policy)")
            XCTAssertTrue(log.events.contains(.notAFile(path: "train/FAKE/zz-pipe.jpg", kind: "a FIFO")), "\(log.events)")
        }
        // The FIFO given as the data set itself, or as a packed file, is refused at once.
        XCTAssertThrowsError(try withinSeconds(20, unblock: release(fifo)) { try CIFAKEDataset.load(path: fifo) }) { error in
            XCTAssertEqual(error as? DataError, .notADataset(path: fifo, found: "a FIFO, neither a regular file nor a folder"))
        }
        XCTAssertThrowsError(try withinSeconds(20, unblock: release(fifo)) { try PackedDataset.read(path: fifo) }) { error in
            XCTAssertEqual(error as? DataError, .badPackedFile(path: fifo, field: "file type", expected: "a regular file", found: "a FIFO"))
        }
        XCTAssertFalse(try withinSeconds(20, unblock: release(fifo)) { PackedDataset.hasMagic(path: fifo) })
    }

    private func tinySet(_ count: Int, seed: UInt8) -> ImageSet {
        ImageSet(pixels: [UInt8](repeating: seed, count: count * ImageSet.bytesPerImage),
                 labels: (0..<count).map { UInt8($0 % 2) }, sources: (0..<count).map { "img\($0).png" })
    }

    private func assertBadPacked(_ path: String, field: String, _ found: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try PackedDataset.read(path: path), file: file, line: line) { error in
            guard case .badPackedFile(path, field, _, let f)? = error as? DataError else {
                return XCTFail("expected a bad \(field) in \(path), got \(error)", file: file, line: line)
            }
            XCTAssertTrue(found.isEmpty || f.contains(found), "\(error)", file: file, line: line)
        }
    }

    func testZeroTrainingImagesAndImpossibleHoldOutFractionsAreRefused() throws {
        let folder = try makeTemporaryFolder(self)
        let empty = folder + "/empty.cifake"
        try PackedDataset.write(CIFAKEDataset(train: tinySet(0, seed: 0), test: tinySet(2, seed: 1), testOrigin: .folder, root: "r"), to: empty)
        assertBadPacked(empty, field: "train count", "0")
        for fraction in [Double.nan, -0.5, 1.5, .infinity] {
            let path = folder + "/fraction.cifake"
            try PackedDataset.write(CIFAKEDataset(train: tinySet(4, seed: 0), test: tinySet(2, seed: 1),
                                                  testOrigin: .stratifiedSplit(fraction: fraction, seed: 3), root: "r"), to: path)
            assertBadPacked(path, field: "hold-out fraction", "\(fraction)")
        }
        // A folder split with an impossible fraction: an error, not a trapped precondition.
        try writeImages(folder + "/flat/REAL", count: 2, seed: 1)
        try writeImages(folder + "/flat/FAKE", count: 2, seed: 2)
        XCTAssertThrowsError(try CIFAKEDataset.load(path: folder + "/flat", options: LoadOptions(holdOutFraction: .nan))) { error in
            XCTAssertTrue("\(error)".contains("hold-out fraction must be a number in 0...1, found nan"), "\(error)")
        }
    }

    /// Counts and lengths in the header far beyond the file: refused from the header alone.
    func testHeaderCountsAreCheckedAgainstTheFileSizeBeforeAllocating() throws {
        let folder = try makeTemporaryFolder(self)
        let path = folder + "/ok.cifake"
        try PackedDataset.write(CIFAKEDataset(train: tinySet(4, seed: 0), test: tinySet(2, seed: 1), testOrigin: .folder, root: "r"), to: path)
        let good = try readFile(path)
        for (offset, value, field) in [(24, UInt64(1) << 35, "file size"), (32, UInt64(1) << 35, "file size"), (24, UInt64.max, "header counts"),
                                       (64, UInt64(Int64.max), "header counts"), (72, 1 << 40, "header counts"), (80, 5, "file size")] {
            var bytes = good
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + 8, with: $0) }
            try writeFile(path, bytes)
            assertBadPacked(path, field: field, "")
        }
    }
}


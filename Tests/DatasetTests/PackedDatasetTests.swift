import XCTest
@testable import Dataset

final class PackedDatasetTests: XCTestCase {
    private func smallDataset() throws -> (root: String, data: CIFAKEDataset) {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/REAL", count: 12, seed: 1)
        try writeImages(root + "/FAKE", count: 8, seed: 50, png: true)
        return (root, try CIFAKEDataset.load(path: root, options: LoadOptions(splitSeed: 3)))
    }

    func testRoundTripEqualsTheLoadedDataset() throws {
        let (root, data) = try smallDataset()
        let file = root + "/set.cifakepk"
        try PackedDataset.write(data, to: file)
        let back = try PackedDataset.read(path: file)
        XCTAssertEqual(back, data)
        XCTAssertEqual(back.testOrigin, .stratifiedSplit(fraction: 0.2, seed: 3))
        XCTAssertEqual(back.digest, data.digest)
        // load() recognises the file by its magic.
        let log = EventLog()
        XCTAssertEqual(try CIFAKEDataset.load(path: file, onEvent: log.record), data)
        XCTAssertEqual(log.events, [.layout(.packed)])
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }, [])
        // Exact size: header, root, labels + pixels per image, names, checksum.
        let names = (data.train.sources.joined(separator: "\n") + data.test.sources.joined(separator: "\n")).utf8.count
        let size = try readFile(file).count
        XCTAssertEqual(size, 96 + root.utf8.count + 20 * 3073 + names + 8)
    }

    func testEmptyTestSplitAndFolderOriginRoundTrip() throws {
        let root = try makeTemporaryFolder(self)
        let set = ImageSet(pixels: [UInt8](repeating: 7, count: 3072), labels: [1], sources: ["a b/ç.png"])
        let data = CIFAKEDataset(train: set, test: .empty, testOrigin: .folder, root: "/some/where")
        try PackedDataset.write(data, to: root + "/x.pk")
        XCTAssertEqual(try PackedDataset.read(path: root + "/x.pk"), data)
    }

    func testEveryFlippedByteIsDetected() throws {
        let (root, data) = try smallDataset()
        let file = root + "/set.pk"
        try PackedDataset.write(data, to: file)
        let good = try readFile(file)
        // Every byte of the header and names, and a stride through the pixels.
        let positions = Array(0..<200) + Array(stride(from: 200, to: good.count, by: 97)) + [good.count - 1]
        for position in positions {
            var damaged = good
            damaged[position] ^= 0x10
            try writeFile(file, damaged)
            XCTAssertThrowsError(try PackedDataset.read(path: file), "flip at \(position)") { error in
                guard case DataError.badPackedFile(let path, _, _, _) = error else {
                    return XCTFail("flip at \(position): \(error)")
                }
                XCTAssertEqual(path, file)
            }
        }
    }

    func testTruncatedAndForeignFilesNameExpectedAndFound() throws {
        let (root, data) = try smallDataset()
        let file = root + "/set.pk"
        try PackedDataset.write(data, to: file)
        let good = try readFile(file)
        try writeFile(file, Array(good.prefix(good.count - 100)))
        XCTAssertThrowsError(try PackedDataset.read(path: file)) { error in
            guard case DataError.badPackedFile(_, "file size", let expected, let found) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(expected.hasPrefix("\(good.count) bytes"), expected)
            XCTAssertEqual(found, "\(good.count - 100) bytes (truncated)")
        }
        try writeFile(file, Array(good.prefix(50)))
        XCTAssertThrowsError(try PackedDataset.read(path: file))
        var otherVersion = good
        otherVersion[8] = 2
        try writeFile(file, otherVersion)
        XCTAssertThrowsError(try PackedDataset.read(path: file)) { error in
            XCTAssertEqual(error as? DataError, .badPackedFile(path: file, field: "version", expected: "1", found: "2"))
        }
        try writeFile(file, Array("PNGthing and more bytes".utf8))
        XCTAssertThrowsError(try PackedDataset.read(path: file)) { error in
            XCTAssertEqual(error as? DataError, .badPackedFile(path: file, field: "magic", expected: "\"CIFAKEPK\"", found: "\"PNGthing\""))
        }
    }

    func testWriteRefusesNewlinesInNamesAndLeavesOldFile() throws {
        let root = try makeTemporaryFolder(self)
        let set = ImageSet(pixels: [UInt8](repeating: 0, count: 3072), labels: [0], sources: ["a\nb"])
        try writeFile(root + "/x.pk", [1, 2, 3])
        XCTAssertThrowsError(try PackedDataset.write(CIFAKEDataset(train: set, test: .empty, testOrigin: .folder, root: ""), to: root + "/x.pk"))
        XCTAssertEqual(try readFile(root + "/x.pk"), [1, 2, 3])
    }
}

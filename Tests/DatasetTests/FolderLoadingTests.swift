import TestSupport
import XCTest
@testable import Dataset
import ImageCodecs

final class FolderLoadingTests: XCTestCase {
    func testKaggleLayoutLoadsEveryFileInSortedOrder() throws {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/train/REAL", count: 7, seed: 100)
        try writeImages(root + "/train/FAKE", count: 5, seed: 200, png: true)
        try writeImages(root + "/test/REAL", count: 3, seed: 300)
        try writeImages(root + "/test/fake", count: 4, seed: 400)  // case-insensitive folder names
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: root, options: LoadOptions(threads: 2), onEvent: log.record)
        XCTAssertEqual(log.events.first, .layout(.kaggle))
        XCTAssertEqual(data.testOrigin, .folder)
        XCTAssertEqual(data.train.classCounts, .init(real: 7, fake: 5))
        XCTAssertEqual(data.test.classCounts, .init(real: 3, fake: 4))
        XCTAssertEqual(data.train.sources.first, "train/REAL/000.jpg")
        XCTAssertEqual(data.train.sources.last, "train/FAKE/004.png")
        XCTAssertEqual(data.test.sources[3], "test/fake/000.jpg")
        // PNG pixels arrive exactly; labels follow the folders.
        let png = try PNG.decode(readFile(root + "/train/FAKE/002.png"))
        XCTAssertEqual(data.train.image(at: 9), png)
        XCTAssertEqual(data.train.labels, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        // Threads do not change the result.
        XCTAssertEqual(try CIFAKEDataset.load(path: root, options: LoadOptions(threads: 1)), data)
    }

    func testFlatLayoutIsSplitEightyTwentyPerClass() throws {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/REAL", count: 50, seed: 1)
        try writeImages(root + "/FAKE", count: 30, seed: 2)
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: root, options: LoadOptions(splitSeed: 9), onEvent: log.record)
        XCTAssertEqual(log.events.first, .layout(.flat))
        XCTAssertEqual(data.testOrigin, .stratifiedSplit(fraction: 0.2, seed: 9))
        XCTAssertEqual(data.train.classCounts, .init(real: 40, fake: 24))
        XCTAssertEqual(data.test.classCounts, .init(real: 10, fake: 6))
        XCTAssertTrue(Set(data.train.sources).isDisjoint(with: data.test.sources))
        XCTAssertEqual(Set(data.train.sources + data.test.sources).count, 80)
        // Same seed, same split; another seed, another split.
        XCTAssertEqual(try CIFAKEDataset.load(path: root, options: LoadOptions(splitSeed: 9)), data)
        XCTAssertNotEqual(try CIFAKEDataset.load(path: root, options: LoadOptions(splitSeed: 10)).test.sources,
                          data.test.sources)
    }

    func testTrainOnlyFolderIsSplit() throws {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/train/REAL", count: 10, seed: 1)
        try writeImages(root + "/train/FAKE", count: 10, seed: 2)
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: root, onEvent: log.record)
        XCTAssertEqual(log.events.first, .layout(.trainOnly))
        XCTAssertEqual(data.test.classCounts, .init(real: 2, fake: 2))
    }

    /// A folder with one good image and one of each kind of bad file.
    private func makeFolderWithBadFiles() throws -> String {
        let root = try makeTemporaryFolder(self)
        try writeImages(root + "/REAL", count: 5, seed: 1)
        try writeImages(root + "/FAKE", count: 5, seed: 2)
        let good = try JPEG.encode(smoothImage(width: 32, height: 32, seed: 9), quality: 90)
        try writeFile(root + "/FAKE/bad-truncated.jpg", Array(good.prefix(good.count / 2)))
        try writeFile(root + "/FAKE/bad-corrupt.jpg", [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x42, count: 300))
        try writeFile(root + "/REAL/bad-notes.txt", Array("not an image".utf8))
        try writeFile(root + "/REAL/bad-empty.png", [])
        try writeFile(root + "/REAL/bad-big.png", PNG.encode(smoothImage(width: 64, height: 48, seed: 3)))
        try writeFile(root + "/REAL/.DS_Store", [0, 1, 2])  // hidden: ignored, not reported
        return root
    }

    func testBadFilesAreReportedByPathAndSkipped() throws {
        let root = try makeFolderWithBadFiles()
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: root, options: LoadOptions(holdOutFraction: 0), onEvent: log.record)
        let bad = log.badFiles
        XCTAssertEqual(Set(bad.keys), ["FAKE/bad-truncated.jpg", "FAKE/bad-corrupt.jpg", "REAL/bad-notes.txt",
                                       "REAL/bad-empty.png", "REAL/bad-big.png"])
        XCTAssertEqual(bad["REAL/bad-notes.txt"], .notAnImage)
        XCTAssertEqual(bad["REAL/bad-empty.png"], .notAnImage)
        XCTAssertEqual(bad["REAL/bad-big.png"], .wrongSize(width: 64, height: 48))
        guard case .corrupt? = bad["FAKE/bad-truncated.jpg"] else { return XCTFail("\(bad)") }
        guard case .corrupt? = bad["FAKE/bad-corrupt.jpg"] else { return XCTFail("\(bad)") }
        XCTAssertEqual(data.train.classCounts, .init(real: 5, fake: 5))
        XCTAssertFalse(data.train.sources.contains { $0.contains("bad") })
        // The good images survive the compaction intact, in order.
        let expected = try JPEG.decode(readFile(root + "/REAL/004.jpg"))
        XCTAssertEqual(data.train.sources[4], "REAL/004.jpg")
        XCTAssertEqual(data.train.image(at: 4), expected)
    }

    func testBadFileWithFailPolicyThrowsNamingThePath() throws {
        let root = try makeFolderWithBadFiles()
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root, options: LoadOptions(badFiles: .fail))) { error in
            guard case DataError.badFile(let path, _) = error else { return XCTFail("\(error)") }
            // REAL (label 0) is read first, in sorted order: bad-big.png is the first bad file.
            XCTAssertEqual(path, root + "/REAL/bad-big.png")
            XCTAssertTrue("\(error)".contains("bad-big.png"))
        }
    }

    func testWrongSizeIsResizedWhenAsked() throws {
        let root = try makeFolderWithBadFiles()
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: root, options: LoadOptions(wrongSize: .resize, holdOutFraction: 0),
                                          onEvent: log.record)
        XCTAssertEqual(log.resized, ["REAL/bad-big.png"])
        XCTAssertNil(log.badFiles["REAL/bad-big.png"])
        XCTAssertEqual(data.train.classCounts, .init(real: 6, fake: 5))
        let big = try PNG.decode(readFile(root + "/REAL/bad-big.png"))
        let index = try XCTUnwrap(data.train.sources.firstIndex(of: "REAL/bad-big.png"))
        XCTAssertEqual(data.train.image(at: index), big.resized(width: 32, height: 32))
    }

    func testMissingEmptyAndWrongFoldersAreClearErrors() throws {
        let root = try makeTemporaryFolder(self)
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root + "/nope")) { error in
            XCTAssertEqual(error as? DataError, .missing(path: root + "/nope"))
        }
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root)) { error in
            guard case DataError.notADataset(let path, let found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, root)
            XCTAssertEqual(found, "an empty folder")
        }
        try FileManager.default.createDirectory(atPath: root + "/cats", withIntermediateDirectories: true)
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root)) { error in
            XCTAssertTrue("\(error)".contains("'cats'"), "\(error)")
            XCTAssertTrue("\(error)".contains("REAL"), "\(error)")
        }
        try writeImages(root + "/REAL", count: 3, seed: 1)
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root)) { error in
            guard case DataError.notADataset(let path, let found) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, root)
            XCTAssertTrue(found.contains("no FAKE subfolder"), found)
        }
        try FileManager.default.createDirectory(atPath: root + "/FAKE", withIntermediateDirectories: true)
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root)) { error in
            XCTAssertEqual(error as? DataError, .emptyFolder(path: root + "/FAKE"))
        }
        try writeFile(root + "/FAKE/junk.txt", Array("x".utf8))
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root)) { error in
            XCTAssertEqual(error as? DataError, .noUsableImages(path: root + "/FAKE"))
        }
        try writeFile(root + "/file.bin", Array("not packed".utf8))
        XCTAssertThrowsError(try CIFAKEDataset.load(path: root + "/file.bin")) { error in
            guard case DataError.notADataset = error else { return XCTFail("\(error)") }
        }
    }

    func testLoadsTheSharedSampleWithExactCounts() throws {
        guard let sample = sharedData("cifake-sample") else { throw XCTSkip("cifake-sample not present") }
        let log = EventLog()
        let data = try CIFAKEDataset.load(path: sample, onEvent: log.record)
        XCTAssertEqual(data.train.classCounts, .init(real: 6000, fake: 6000))
        XCTAssertEqual(data.test.classCounts, .init(real: 1000, fake: 1000))
        XCTAssertEqual(data.testOrigin, .folder)
        XCTAssertTrue(log.badFiles.isEmpty)
        XCTAssertEqual(data.train.sources.first, "train/REAL/airplane_0028.jpg")
        let first = try JPEG.decode(readFile(sample + "/train/REAL/airplane_0028.jpg"))
        XCTAssertEqual(data.train.image(at: 0), first)
        // Progress is reported in bounded steps, ending at the total.
        let progress = log.events.filter { if case .progress = $0 { return true } else { return false } }
        XCTAssertLessThanOrEqual(progress.count, 12)
        XCTAssertTrue(progress.contains(.progress(split: "train", done: 12000, total: 12000)))
    }
}

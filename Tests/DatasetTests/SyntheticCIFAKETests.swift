import XCTest
@testable import Dataset
import ImageCodecs

final class SyntheticCIFAKETests: XCTestCase {
    private func inRegion(_ pixel: Int) -> Bool {
        let y = pixel / 32, x = pixel % 32
        return SyntheticCIFAKE.artefactRegion.rows.contains(y) && SyntheticCIFAKE.artefactRegion.cols.contains(x)
    }

    func testClassesDifferOnlyInsideTheArtefactRegion() throws {
        let root = try makeTemporaryFolder(self)
        try SyntheticCIFAKE.write(to: root, trainPerClass: 6, testPerClass: 3, seed: 5, format: .png)
        let data = try CIFAKEDataset.load(path: root)
        XCTAssertEqual(data.train.classCounts, .init(real: 6, fake: 6))
        XCTAssertEqual(data.test.classCounts, .init(real: 3, fake: 3))
        XCTAssertTrue(try String(contentsOfFile: root + "/SYNTHETIC.txt", encoding: .utf8).contains("SYNTHETIC DATA - NOT CIFAKE"))
        for (set, perClass) in [(data.train, 6), (data.test, 3)] {
            for i in 0..<perClass {
                let real = set.image(at: i), fake = set.image(at: perClass + i)
                XCTAssertEqual(set.label(at: i), .real)
                XCTAssertEqual(set.label(at: perClass + i), .fake)
                for p in 0..<1024 {
                    for c in 0..<3 {
                        let delta = Int(fake.pixels[p * 3 + c]) - Int(real.pixels[p * 3 + c])
                        if inRegion(p) {
                            let sign = (p / 32 + p % 32) % 2 == 0 ? 1 : -1
                            XCTAssertEqual(delta, sign * SyntheticCIFAKE.artefactAmplitude)
                        } else {
                            XCTAssertEqual(delta, 0, "pixel \(p) outside the region differs")
                        }
                    }
                }
            }
        }
        // Different pictures per index and split.
        XCTAssertNotEqual(data.train.image(at: 0), data.train.image(at: 1))
        XCTAssertNotEqual(data.train.image(at: 0), data.test.image(at: 0))
    }

    func testJPEGKeepsTheDifferenceInsideTheRegion() throws {
        let root = try makeTemporaryFolder(self)
        try SyntheticCIFAKE.write(to: root, trainPerClass: 4, testPerClass: 1, seed: 8, format: .jpeg)
        let data = try CIFAKEDataset.load(path: root)
        for i in 0..<4 {
            let real = data.train.image(at: i), fake = data.train.image(at: 4 + i)
            var inside = 0
            for p in 0..<1024 {
                let delta = (0..<3).map { abs(Int(fake.pixels[p * 3 + $0]) - Int(real.pixels[p * 3 + $0])) }.max()!
                if inRegion(p) { inside += delta } else { XCTAssertEqual(delta, 0, "image \(i) pixel \(p)") }
            }
            XCTAssertGreaterThan(inside, 64 * 10, "the artefact survives JPEG")
        }
    }

    func testDeterministicForASeed() throws {
        XCTAssertEqual(SyntheticCIFAKE.baseImage(seed: 1, split: "train", index: 3),
                       SyntheticCIFAKE.baseImage(seed: 1, split: "train", index: 3))
        XCTAssertNotEqual(SyntheticCIFAKE.baseImage(seed: 1, split: "train", index: 3),
                          SyntheticCIFAKE.baseImage(seed: 2, split: "train", index: 3))
        let a = try makeTemporaryFolder(self), b = try makeTemporaryFolder(self)
        try SyntheticCIFAKE.write(to: a, trainPerClass: 3, testPerClass: 2, seed: 4, format: .jpeg)
        try SyntheticCIFAKE.write(to: b, trainPerClass: 3, testPerClass: 2, seed: 4, format: .jpeg)
        XCTAssertEqual(try readFile(a + "/train/FAKE/00002.jpg"), try readFile(b + "/train/FAKE/00002.jpg"))
        let da = try CIFAKEDataset.load(path: a), db = try CIFAKEDataset.load(path: b)
        XCTAssertEqual(da.digest, db.digest)
    }
}

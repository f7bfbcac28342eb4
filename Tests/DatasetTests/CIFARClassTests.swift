import XCTest
@testable import Dataset

final class CIFARClassTests: XCTestCase {
    func testTheClassComesFromEitherLayoutOfFileName() {
        XCTAssertEqual(CIFARClass(source: "test/REAL/airplane_0028.jpg"), .airplane)
        XCTAssertEqual(CIFARClass(source: "train/FAKE/automobile_1234.jpg"), .automobile)
        XCTAssertEqual(CIFARClass(source: "TRUCK_0001.PNG"), .truck)
        XCTAssertEqual(CIFARClass(source: "cat-7.png"), .cat)
        // Kaggle's CIFAKE: no suffix is class 1, "(k)" class k.
        XCTAssertEqual(CIFARClass(source: "test/REAL/0028.jpg"), .airplane)
        XCTAssertEqual(CIFARClass(source: "train/FAKE/1000 (2).jpg"), .automobile)
        XCTAssertEqual(CIFARClass(source: "1000 (10).jpg"), .truck)
        XCTAssertEqual(CIFARClass(source: "5 (6).jpg"), .dog)
        XCTAssertEqual(CIFARClass.allCases.count, 10)
    }

    func testABareNumberIsAnAirplaneOnlyInAKaggleSet() {
        XCTAssertEqual(CIFARClass.classes(of: ["REAL/0028.jpg", "REAL/0028 (3).jpg", "REAL/cat_1.jpg", "x.jpg"]), [.airplane, .bird, .cat, nil])
        XCTAssertEqual(CIFARClass.classes(of: ["test/REAL/00012.png", "test/FAKE/00013.png"]), [nil, nil], "generated data names no class")
        XCTAssertEqual(CIFARClass.classes(of: ["00012.png", "dog_0001.png"]), [nil, .dog])
    }

    func testOtherNamesHaveNoClass() {
        for name in ["dogfood.jpg", "x.jpg", "1000 (11).jpg", "1000 (1).jpg", "1000 (a).jpg", "1000(2).jpg", "", "FAKE/", "scat_1.jpg"] {
            XCTAssertNil(CIFARClass(source: name), name)
        }
    }

    /// Every name of the shared sample carries its class (when the sample is here).
    func testEverySampleNameCarriesItsClass() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/cifake-sample/test/FAKE").standardized.path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { throw XCTSkip("no shared sample at \(root)") }
        XCTAssertEqual(names.count, 1000)
        XCTAssertTrue(names.allSatisfy { CIFARClass(source: $0) != nil })
        XCTAssertEqual(names.filter { CIFARClass(source: $0) == .frog }.count, 100)
    }
}

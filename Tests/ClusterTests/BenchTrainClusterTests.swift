import Foundation
import TestSupport
import XCTest

/// `cifake bench train --workers 2`: real worker processes training on 127.0.0.1 with a ring
/// all-reduce between steps. The ranks compare their weights' checksums at the end and exit
/// non-zero if they differ, so the exit status and the "identical" line are the assertions.
final class BenchTrainClusterTests: XCTestCase {
    func testTwoWorkersTrainAndAgree() throws {
        let cifake = try Paths.cifake()
        let result = try runProcess(cifake, ["bench", "train", "--workers", "2", "--dense", "32", "--batch", "16",
                                             "--windows", "1", "--seconds", "0.3", "--timeout-ms", "20000"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("cluster images/s: median "), result.stdout)
        XCTAssertTrue(result.stdout.contains("weights: identical on all 2 ranks"), result.stdout)
        XCTAssertTrue(result.stdout.contains("rank 1: compute "), result.stdout)
    }
}

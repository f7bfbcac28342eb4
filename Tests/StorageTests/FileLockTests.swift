import Foundation
import Storage
import XCTest

final class FileLockTests: XCTestCase {
    func testASecondHolderIsRefusedAtOnceWithTheFirstOnesNameUntilItReleases() throws {
        let path = NSTemporaryDirectory() + "cifake-lock-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let first = try FileLock.acquire(path, holder: "pid 1 on here since then")
        // flock locks belong to an open file: a second open in the same process conflicts too.
        let began = Date()
        XCTAssertThrowsError(try FileLock.acquire(path, holder: "pid 2")) { error in
            XCTAssertEqual(error as? FileLockError, .held(path: path, holder: "pid 1 on here since then"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(began), 1, "never waits")
        first.release()
        let second = try FileLock.acquire(path, holder: "pid 2")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "pid 2\n", "the file names the holder, nothing older")
        second.release()
    }

    func testTheLockIsDroppedWithItsOwner() throws {
        let path = NSTemporaryDirectory() + "cifake-lock-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try FileLock.acquire(path, holder: "short-lived") }
        XCTAssertNoThrow(try FileLock.acquire(path, holder: "next"))
    }

    func testAnUnopenableLockFileIsAnIOErrorNamingIt() {
        let path = "/nonexistent-\(UUID().uuidString)/lock"
        XCTAssertThrowsError(try FileLock.acquire(path, holder: "x")) { error in
            guard case .io(let e)? = error as? FileLockError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.description.contains(path), e.description)
        }
    }
}

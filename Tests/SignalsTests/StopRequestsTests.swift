#if canImport(Glibc)
import Glibc
#endif
@testable import Signals
import XCTest

/// The stop rule without installing a handler (a handler would outlive the test in the one test
/// process): the first SIGTERM or SIGINT asks for a graceful stop, a repeat within a second is
/// the same request, a later one exits at once with 128 + its number. The installed handler is
/// exercised by the real-process stop tests (`SelfResumeTests`, `CheckpointResumeTests`).
final class StopRequestsTests: XCTestCase {
    func testTheFirstSignalAsksAndARepeatWithinASecondIsTheSameRequest() {
        var requests = StopRequests()
        XCTAssertNil(requests.first)
        let first = requests.receive(SIGTERM, atNanoseconds: 5_000_000_000)
        XCTAssertEqual(first, .first(StopSignal.Request(signal: "SIGTERM", number: SIGTERM)))
        XCTAssertEqual(requests.first?.exitStatus, 143)
        // Ctrl-C reaches the launcher and its children; the launcher passes it on as well.
        XCTAssertEqual(requests.receive(SIGINT, atNanoseconds: 5_999_999_999), .sameRequest)
        XCTAssertEqual(requests.first?.signal, "SIGTERM", "the first request stays the request")
    }

    func testASignalASecondOrMoreLaterExitsAtOnceWithItsStatus() {
        var requests = StopRequests()
        _ = requests.receive(SIGINT, atNanoseconds: 0)
        XCTAssertEqual(requests.receive(SIGINT, atNanoseconds: StopRequests.repeatWindowNanoseconds), .exitNow(status: 130))
        XCTAssertEqual(requests.receive(SIGTERM, atNanoseconds: 60_000_000_000), .exitNow(status: 143))
        XCTAssertEqual(requests.first, StopSignal.Request(signal: "SIGINT", number: SIGINT))
    }

    func testNamesAndStatuses() {
        XCTAssertEqual(StopSignal.name(SIGTERM), "SIGTERM")
        XCTAssertEqual(StopSignal.name(SIGINT), "SIGINT")
        XCTAssertEqual(StopSignal.name(SIGUSR1), "signal \(SIGUSR1)")
        // A graceful stop is told apart from a failure (1), a bad configuration (2) and a death by signal.
        XCTAssertFalse([1, 2, 128 + SIGTERM, 128 + SIGINT].contains(StopSignal.gracefulExitStatus))
    }
}

import Logging
import Logs
import XCTest

final class LogLineTests: XCTestCase {
    let noon = LogLine.Timestamp(seconds: 1_796_591_045, milliseconds: 7)  // 2026-12-06T21:04:05.007Z

    func testALineHasTimestampLevelLabelsAndMessage() {
        XCTAssertEqual(noon.iso8601, "2026-12-06T21:04:05.007Z")
        XCTAssertEqual(LogLine.format(time: noon, level: .info, labels: LogLabels(role: "coordinator", generation: 3), message: "generation 3 forms"),
                       "2026-12-06T21:04:05.007Z info coordinator gen=3: generation 3 forms\n")
        XCTAssertEqual(LogLine.format(time: noon, level: .warning, labels: LogLabels(role: "worker", rank: 1, generation: 3, node: "w1"),
                                      metadata: ["step": "12"], message: "slow"),
                       "2026-12-06T21:04:05.007Z warning worker rank=1 gen=3 step=12: slow\n")
        // Before a rank, a worker is named by its node.
        XCTAssertEqual(LogLabels(role: "worker", node: "local-9-w2").text, "worker node=local-9-w2")
    }

    func testEveryLineOfAMultiLineMessageIsALogLine() {
        let text = LogLine.format(time: noon, level: .info, labels: LogLabels(role: "train"), message: "table:\n  a  b\n  1  2")
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines.allSatisfy { LogLine.isFormatted($0) }, text)
        XCTAssertEqual(lines[2], "2026-12-06T21:04:05.007Z info train:   1  2")
    }

    func testPrefixedLevelsAndRecognisedLines() {
        XCTAssertEqual(LogLine.level(of: "warning: disk slow").0, .warning)
        XCTAssertEqual(LogLine.level(of: "warning: disk slow").1, "disk slow")
        XCTAssertEqual(LogLine.level(of: "error: gone").0, .error)
        XCTAssertEqual(LogLine.level(of: "data: loaded").0, .info)
        XCTAssertEqual(LogLine.level(of: "data: loaded").1, "data: loaded")
        XCTAssertFalse(LogLine.isFormatted("error: bad flag"))
        XCTAssertFalse(LogLine.isFormatted("2026-12-06T21:04:05.007Z loud x: y"))
        XCTAssertTrue(LogLine.isFormatted("2026-12-06T21:04:05.007Z notice launcher: y"))
    }
}

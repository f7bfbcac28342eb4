import Foundation
import XCTest
@testable import Coordination

final class StepLogEntryTests: XCTestCase {
    private let summary = StepSummary(
        generation: 9, step: 41, epoch: 1, meanLoss: 0.5, meanAccuracy: 0.75, samples: 256, imagesPerSecond: 800,
        perRank: [.init(rank: 0, computeSeconds: 0.2, allReduceWaitSeconds: 0.1, ringSendBusySeconds: 0.25),
                  .init(rank: 1, computeSeconds: 0.3, allReduceWaitSeconds: 0.05, ringSendBusySeconds: nil)],
        slowestRank: 1)

    func testALineCarriesTheSummaryUnderSnakeCaseKeysAndReadsBackEqual() throws {
        let entry = StepLogEntry(summary: summary, time: 1_767_225_600.5)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = String(decoding: try encoder.encode(entry), as: UTF8.self)
        XCTAssertFalse(line.contains("\n"), "one entry, one line")
        for key in [#""time":1767225600.5"#, #""step":41"#, #""samples":256"#, #""images_per_second":800"#, #""slowest_rank":1"#,
                    #""compute_seconds":0.3"#, #""all_reduce_wait_seconds":0.1"#, #""ring_send_busy_seconds":0.25"#] {
            XCTAssertTrue(line.contains(key), "\(key) in \(line)")
        }
        let back = try JSONDecoder().decode(StepLogEntry.self, from: Data(line.utf8))
        XCTAssertEqual(back, entry)
        XCTAssertEqual(back.ranks.map(\.rank), [0, 1])
        XCTAssertNil(back.ranks[1].ringSendBusySeconds, "an unknown busy time stays unknown, not 0")
        XCTAssertEqual(back.loss, 0.5)
        XCTAssertEqual(back.generation, 9)
    }
}

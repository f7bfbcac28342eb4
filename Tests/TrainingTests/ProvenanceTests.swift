import Foundation
import Status
import XCTest
@testable import Training

/// provenance.json across starts: each start appended, the oldest dropped beyond the limit, and
/// the single record of earlier versions read as a run of one session.
final class ProvenanceTests: XCTestCase {
    let program = ProgramIdentity(version: "cifake 9 (wire 9)", revision: "abc", swift: "Swift 6.3")

    func start(_ folder: String, at seconds: Double, _ arguments: [String] = ["cifake", "train"]) throws -> Provenance {
        try Provenance.begin(folder: folder, dataDigest: "00112233aabbccdd", data: "synthetic", configuration: "dense: 32\n",
                             started: Date(timeIntervalSince1970: seconds), program: program, commandLine: arguments)
    }

    func read(_ folder: String) throws -> Provenance {
        try Provenance.read(Data(contentsOf: URL(fileURLWithPath: "\(folder)/provenance.json")))
    }

    func testEveryStartIsASessionAndTheSummaryIsFirstStartToLastEnd() throws {
        let folder = NSTemporaryDirectory() + "provenance-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try start(folder, at: 1_000)
        XCTAssertEqual(try read(folder).sessions?.count, 1, "appended as it starts")
        XCTAssertNil(try read(folder).sessions?.first?.endedAt)
        try first.ended("stopped", at: Date(timeIntervalSince1970: 1_100)).write(folder: folder)
        let second = try start(folder, at: 2_000, ["cifake", "train", "--resume", "x"])
        try second.ended("finished", at: Date(timeIntervalSince1970: 2_500)).write(folder: folder)

        let record = try read(folder)
        XCTAssertEqual(record.sessions?.map(\.outcome), ["stopped", "finished"])
        XCTAssertEqual(record.sessions?.map(\.commandLine.count), [2, 4])
        XCTAssertEqual(record.sessions?.map { $0.endedAt != nil }, [true, true])
        XCTAssertEqual(record.sessions?.first?.processID, getpid())
        XCTAssertEqual(record.sessionsDropped, 0)
        XCTAssertEqual(record.startedAt, record.sessions?.first?.startedAt, "the run started with its first session")
        XCTAssertEqual(record.endedAt, record.sessions?.last?.endedAt)
        XCTAssertEqual(record.outcome, "finished")
        XCTAssertEqual(record.commandLine, ["cifake", "train", "--resume", "x"], "the latest start's")
        // The model file's summary: no sessions.
        let summary = try JSONSerialization.jsonObject(with: Data(record.summary.compactJSON.utf8)) as! [String: Any]
        XCTAssertNil(summary["sessions"])
        XCTAssertEqual(summary["started_at"] as? String, record.startedAt)
    }

    func testSessionsAreBoundedAndCountTheDropped() throws {
        let folder = NSTemporaryDirectory() + "provenance-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let firstStart = try start(folder, at: 0).startedAt
        for i in 1..<(Provenance.sessionLimit + 5) { _ = try start(folder, at: Double(i) * 10) }
        let record = try read(folder)
        XCTAssertEqual(record.sessions?.count, Provenance.sessionLimit)
        XCTAssertEqual(record.sessionsDropped, 5)
        XCTAssertEqual(record.startedAt, firstStart, "the run's first start outlives its dropped session")
        XCTAssertEqual(record.sessions?.last?.startedAt, Provenance.timestamp(Date(timeIntervalSince1970: Double(Provenance.sessionLimit + 4) * 10)))
    }

    func testTheSingleRecordOfEarlierVersionsBecomesTheFirstSession() throws {
        let folder = NSTemporaryDirectory() + "provenance-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            {"command_line":["cifake","coordinator"],"configuration":"dense: 32\\n","data":"d","data_digest":"00112233aabbccdd",
             "ended_at":"2026-01-01T00:10:00.000Z","host":"old-host","outcome":"stopped","program":"cifake 0.2.0 (wire 4)",
             "revision":"0ab","started_at":"2026-01-01T00:00:00.000Z","swift":"Swift 6.2"}
            """.write(toFile: "\(folder)/provenance.json", atomically: true, encoding: .utf8)
        _ = try start(folder, at: 1_800_000_000)
        let record = try read(folder)
        XCTAssertEqual(record.sessions?.count, 2)
        XCTAssertEqual(record.sessions?.first?.host, "old-host")
        XCTAssertEqual(record.sessions?.first?.outcome, "stopped")
        XCTAssertNil(record.sessions?.first?.processID)
        XCTAssertEqual(record.startedAt, "2026-01-01T00:00:00.000Z")
        XCTAssertNil(record.endedAt, "the run goes on")
        XCTAssertEqual(record.program, "cifake 9 (wire 9)")
    }
}

import ClusterBench
@testable import Coordination
import Foundation
import XCTest

final class ClusterBenchResultTests: XCTestCase {
    /// Steps 0...9, one every 0.5 s; two ranks: compute 0.2 and 0.3 s, wait 0.1 s, link busy 0.4 s.
    private func entries(generationChangeAt change: Int? = nil, epochEndAt epochEnd: Int? = nil) -> [StepLogEntry] {
        (0..<10).map { step in
            let summary = StepSummary(
                generation: change.map { step >= $0 ? 2 : 1 } ?? 1, step: step, epoch: epochEnd.map { step > $0 ? 1 : 0 } ?? 0,
                meanLoss: 0.6, meanAccuracy: 0.5, samples: 256, imagesPerSecond: 640,
                perRank: [.init(rank: 0, computeSeconds: 0.2, allReduceWaitSeconds: 0.1, ringSendBusySeconds: 0.4),
                          .init(rank: 1, computeSeconds: 0.3, allReduceWaitSeconds: 0.1, ringSendBusySeconds: 0.4)],
                slowestRank: 1)
            return StepLogEntry(summary: summary, time: 1000 + 0.5 * Double(step))
        }
    }

    private let start = CounterSample(step: 1, time: 2000, workers: [.init(rxBytes: 100, txBytes: 200), .init(rxBytes: 1000, txBytes: 2000)],
                                      coordinator: .init(rxBytes: 0, txBytes: 0), workerCPUSeconds: [10, 20])
    /// Five steps (2.5 s) later: each worker sent 40 MB and received 40 MB a step; the coordinator
    /// 1 kB a step; the workers used 2.5 and 2 CPU seconds.
    private var end: CounterSample {
        CounterSample(step: 6, time: 2002.5, workers: [.init(rxBytes: 100 + 200_000_000, txBytes: 200 + 200_000_000),
                                                      .init(rxBytes: 1000 + 200_000_000, txBytes: 2000 + 200_000_000)],
                      coordinator: .init(rxBytes: 3000, txBytes: 2000), workerCPUSeconds: [12.5, 22])
    }

    private func result(_ log: [StepLogEntry]) throws -> ClusterBenchResult {
        try ClusterBenchResult(entries: log.shuffled(), window: StepWindow(warmup: 2, steps: 5), start: start, end: end,
                               singleImagesPerSecond: 300, singleCPUShare: 0.75, workers: 2, gradientBytes: 40_000_000)
    }

    func testTheWindowIsTimedFromTheLastWarmUpStepsEnd() throws {
        let r = try result(entries())
        XCTAssertEqual(r.firstStep, 2)
        XCTAssertEqual(r.lastStep, 6)
        XCTAssertEqual(r.timedSteps, 5)
        // Steps 2...6 (5 x 256 images) between the ends of step 1 (1000.5 s) and step 6 (1003 s).
        XCTAssertEqual(r.clusterImagesPerSecond, 5 * 256 / 2.5, accuracy: 1e-9)
        XCTAssertEqual(r.stepSeconds, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.scalingEfficiency, 512.0 / 600, accuracy: 1e-12)
        XCTAssertEqual(r.imagesPerStep, 256)
        XCTAssertEqual(r.generations, 1)
        XCTAssertEqual(r.epochs, 1)
    }

    func testTheBreakdownAveragesTheRanksAndTheRestIsOther() throws {
        let r = try result(entries())
        XCTAssertEqual(r.computeSeconds, 0.25, accuracy: 1e-12)
        XCTAssertEqual(r.allReduceWaitSeconds, 0.1, accuracy: 1e-12)
        XCTAssertEqual(r.otherSeconds, 0.15, accuracy: 1e-12)
        XCTAssertEqual(r.linkBusySeconds ?? 0, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.perRank.map(\.computeSeconds), [0.2, 0.3])
    }

    func testBytesPerStepAreTheCounterDeltasOverTheStepsBetweenReadings() throws {
        let r = try result(entries())
        XCTAssertEqual(r.wire.steps, 5)
        XCTAssertEqual(r.wire.workerTxBytes, [40_000_000, 40_000_000])
        XCTAssertEqual(r.wire.workerRxBytes, [40_000_000, 40_000_000])
        XCTAssertEqual(r.wire.totalBytes, 80_000_000, "every byte counted once, where it was sent")
        XCTAssertEqual(r.wire.coordinatorBytes, 1000)
        XCTAssertEqual(r.wire.ringFP32BytesPerWorker, 40_000_000, "2 (N-1)/N of the gradient for N = 2")
        XCTAssertEqual(r.workerCPUShare, [1.0, 0.8], "CPU seconds over the wall time between the readings")
        XCTAssertEqual(r.clusterImagesPerCPUSecond, 5 * 256 / 4.5, accuracy: 1e-9, "5 steps' images over both workers' 4.5 CPU seconds")
        XCTAssertEqual(r.singleImagesPerCPUSecond, 400, accuracy: 1e-9, "300 images/s on 75% of a core")
    }

    func testAMissingStepInTheWindowIsAnErrorThatNamesIt() {
        let log = entries().filter { $0.step != 4 }
        XCTAssertThrowsError(try result(log)) { error in
            XCTAssertTrue("\(error)".contains("without 4"), "\(error)")
        }
        // The warm-up's last step starts the clock: it is needed too.
        XCTAssertThrowsError(try result(entries().filter { $0.step != 1 }))
        // Steps outside the window are not.
        XCTAssertNoThrow(try result(entries().filter { $0.step != 0 && $0.step != 9 }))
    }

    func testARingReformedOrAnEpochEndInTheWindowIsCountedAndWarned() throws {
        let reformed = try result(entries(generationChangeAt: 4))
        XCTAssertEqual(reformed.generations, 2)
        XCTAssertTrue(reformed.lines.contains { $0.hasPrefix("warning: the ring re-formed") })
        let epochEnd = try result(entries(epochEndAt: 3))
        XCTAssertEqual(epochEnd.epochs, 2)
        XCTAssertTrue(epochEnd.lines.contains { $0.hasPrefix("warning: an epoch ended") })
        XCTAssertFalse(try result(entries()).lines.contains { $0.hasPrefix("warning") })
    }

    func testTheLinesAndTheJSONCarryTheFigures() throws {
        let r = try result(entries())
        let text = r.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("cluster images/s: 512 over steps 2-6"), text)
        XCTAssertTrue(text.contains("scaling efficiency: 85% (512 / (2 x 300 = 600))"), text)
        XCTAssertTrue(text.contains("compute 250 ms, all-reduce wait 100 ms, other 150 ms; ring links busy 400 ms"), text)
        XCTAssertTrue(text.contains("bytes on the wire per step: 80.00 MB sent by the workers"), text)
        XCTAssertTrue(text.contains("worker CPU: 100%, 80% of a core (single process: 75%)"), text)
        XCTAssertTrue(text.contains("cluster 284 images, single process 400 (71%)"), text)
        let record = ClusterBenchRecord(workers: 2, rate: "1gbit", shaping: "tbf rate 1gbit burst 1mb latency 100ms", transportSecurity: "curve",
                                        gradientCompression: nil, model: "CNN2D", parameters: 10_000_000, batchPerWorker: 128,
                                        threadsPerWorker: 1, warmupSteps: 2, result: r)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        XCTAssertTrue(json.contains(#""cluster_images_per_second":512"#), json)
        XCTAssertTrue(json.contains(#""scaling_efficiency":"#), json)
        XCTAssertEqual(try JSONDecoder().decode(ClusterBenchRecord.self, from: Data(json.utf8)), record)
    }
}

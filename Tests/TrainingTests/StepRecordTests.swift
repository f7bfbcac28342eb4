import Checkpoints
import Dataset
import Foundation
import Storage
import TestSupport
import XCTest
@testable import Training

final class StepRecordTests: XCTestCase {
    func testARecordEveryStepForShortRunsAndBoundedForLongOnes() {
        XCTAssertEqual(StepRecorder(totalSteps: 9_999, stepsPerEpoch: 100).every, 1)
        XCTAssertEqual(StepRecorder(totalSteps: 10_001, stepsPerEpoch: 100).every, 2)
        var long = StepRecorder(totalSteps: 1_000_000, stepsPerEpoch: 3_333)
        XCTAssertEqual(long.every, 100)
        var records = 0
        for step in 1...1_000_000 {
            if long.add(step: step, epoch: (step - 1) / 3_333 + 1, samples: 32, lossSum: 16, correct: 20, seconds: 0.01, learningRate: 1e-3,
                        time: 0) != nil { records += 1 }
        }
        XCTAssertLessThanOrEqual(records, StepRecorder.maxRecords + 1_000_000 / 3_333 + 1, "bounded: about maxRecords, plus epoch ends")
    }

    func testRecordsAverageTheirStepsAndCloseAtEpochEnds() throws {
        var r = StepRecorder(totalSteps: 7, stepsPerEpoch: 7, maxRecords: 3)  // every 3 steps
        XCTAssertEqual(r.every, 3)
        var out: [StepRecord] = []
        for step in 1...7 {
            if let rec = r.add(step: step, epoch: 1, samples: step == 7 ? 4 : 8, lossSum: Double(step) * 8, correct: 4, seconds: 0.5,
                               learningRate: 0.001 * Double(step), time: Double(step)) { out.append(rec) }
        }
        XCTAssertEqual(out.map(\.step), [3, 6, 7], "every 3 steps, and the epoch's last")
        XCTAssertEqual(out[0].steps, 3)
        XCTAssertEqual(out[0].samples, 24)
        XCTAssertEqual(out[0].loss, (8.0 + 16 + 24) / 24, accuracy: 1e-12)
        XCTAssertEqual(out[0].accuracy, 0.5)
        XCTAssertEqual(out[0].learningRate, 0.003, "the rate of the record's last step")
        XCTAssertEqual(out[0].imagesPerSecond, 24 / 1.5, accuracy: 1e-9)
        XCTAssertEqual(out[2].samples, 4)
        XCTAssertNil(r.flush(), "nothing pending")
        _ = r.add(step: 8, epoch: 2, samples: 8, lossSum: 4, correct: 8, seconds: 1, learningRate: 0.001, time: 8)
        XCTAssertEqual(r.flush()?.step, 8, "a checkpoint flushes the partial window")
    }

    func testTheLineIsCompactJSONThatReadsBack() throws {
        let record = StepRecord(step: 12, epoch: 2, steps: 1, samples: 32, loss: 0.123456789, accuracy: 0.8125, learningRate: 0.001,
                                imagesPerSecond: 1523.456, time: 1767225600.25)
        XCTAssertEqual(record.line, "{\"step\":12,\"epoch\":2,\"steps\":1,\"samples\":32,\"loss\":0.123457,\"accuracy\":0.8125,\"lr\":0.001,"
                                    + "\"images_per_second\":1523.46,\"time\":1767225600.250}\n")
        let back = try JSONDecoder().decode(StepRecord.self, from: Data(record.line.utf8))
        XCTAssertEqual(back.step, 12)
        XCTAssertEqual(back.loss, 0.123457)
    }

    func testResumingCutsBackToTheCheckpointAndATornLineIsSkipped() throws {
        let folder = Paths.temporaryFolder("steps-file")
        func record(_ step: Int) -> StepRecord {
            StepRecord(step: step, epoch: 1, steps: 1, samples: 8, loss: 0.5, accuracy: 0.5, learningRate: 0.001, imagesPerSecond: 100, time: 0)
        }
        do {
            let file = try StepsFile(folder: folder, keepingUpTo: 0)
            for step in 1...6 { XCTAssertNil(file.append(record(step))) }
        }
        // A crash while writing line 7: a torn line at the end.
        let path = "\(folder)/\(StepsFile.fileName)"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"step\":7,\"epo".utf8))
        handle.closeFile()
        XCTAssertEqual(StepsFile.read(path).map(\.step), [1, 2, 3, 4, 5, 6])

        // Resumed from the checkpoint of step 4: steps 5 and 6 are trained again, recorded once.
        do {
            let file = try StepsFile(folder: folder, keepingUpTo: 4)
            for step in 5...8 { file.append(record(step)) }
        }
        XCTAssertEqual(StepsFile.read(path).map(\.step), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count, 8, "no duplicate, no torn line")

        // A fresh run starts an empty file.
        _ = try StepsFile(folder: folder, keepingUpTo: 0)
        XCTAssertEqual(StepsFile.read(path).count, 0)
    }

    /// A run stopped after a mid-epoch checkpoint and resumed records every step once: the steps
    /// after the checkpoint (trained again) are cut from steps.jsonl before the resumed run goes on.
    func testAResumedRunRecordsEveryStepOnce() throws {
        let (_, config) = try smallSyntheticRun("steps-resume") {
            $0.epochs = 1
            $0.checkpointEvery = 2
            $0.keepCheckpoints = 10
        }
        _ = try TrainingRun(config: config).run()
        let path = "\(config.out)/\(StepsFile.fileName)"
        let perEpoch = try XCTUnwrap(StepsFile.read(path).last?.step)
        XCTAssertEqual(StepsFile.read(path).map(\.step), Array(1...perEpoch))

        // Interrupted: the last checkpoint and the model gone, the run now two epochs long.
        let store = CheckpointStore(runFolder: config.out, keep: 10)
        let checkpoints = store.steps()
        try FileManager.default.removeItem(atPath: "\(config.out)/model.safetensors")
        try FileManager.default.removeItem(atPath: store.path(step: checkpoints.last!))
        try AtomicFile.write(CheckpointStore.fileName(step: checkpoints[checkpoints.count - 2]) + "\n", to: "\(store.folder)/latest")
        let yaml = String(decoding: try AtomicFile.read("\(config.out)/config.yaml"), as: UTF8.self)
        try AtomicFile.write(yaml.replacingOccurrences(of: "epochs: 1\n", with: "epochs: 2\n"), to: "\(config.out)/config.yaml")
        XCTAssertLessThan(checkpoints[checkpoints.count - 2], perEpoch, "resumed from inside the epoch")

        _ = try TrainingRun.resume(folder: config.out, threads: 2)
        let records = StepsFile.read(path)
        XCTAssertEqual(records.map(\.step), Array(1...2 * perEpoch), "each step once")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count, 2 * perEpoch)
        XCTAssertEqual(records.last?.epoch, 2)
    }
}

import Dataset
import Evaluation
import Foundation
import ImageCodecs
import Storage
import TestSupport
import XCTest
@testable import Training

/// A run's report and the comparison of runs, on a small run trained here on generated data.
final class RunReportTests: XCTestCase {
    /// One short run shared by the tests of this class: 2 epochs on 100 + 100 synthetic images,
    /// test split 20 + 20.
    static let run: Result<String, any Error> = Result {
        let folder = Paths.temporaryFolder("report")
        try SyntheticCIFAKE.write(to: "\(folder)/data", trainPerClass: 100, testPerClass: 20, seed: 7)
        var config = TrainingConfig()
        config.data = "\(folder)/data"
        config.out = "\(folder)/run"
        config.epochs = 2
        config.batchSize = 32
        config.augmentFlip = false
        config.augmentShift = 0
        config.threads = 2
        return try TrainingRun(config: config).run().runFolder
    }

    func runFolder() throws -> String { try Self.run.get() }

    /// Every `src="..."` and `href="..."` of a page.
    func references(_ html: String) -> [String] {
        ["src=\"", "href=\""].flatMap { key in
            html.components(separatedBy: key).dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }
    }

    func testTrainingWritesAReportThatShowsTheRunsMetrics() throws {
        let run = try runFolder()
        let report = "\(run)/report"
        let html = try String(contentsOfFile: "\(report)/index.html", encoding: .utf8)

        let refs = references(html).filter { !$0.hasPrefix("#") }
        XCTAssertFalse(refs.isEmpty)
        for ref in refs {
            XCTAssertFalse(ref.contains(":") || ref.hasPrefix("/") || ref.contains(".."), "\(ref) is a file beside the page")
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(report)/\(ref)"), "\(ref) exists")
            let png = try PNG.decode(try AtomicFile.read("\(report)/\(ref)"))
            XCTAssertGreaterThan(png.width, 200)
        }
        // Every figure, inline as SVG (the run records steps and epochs, and scores every test image).
        for id in ["confusion-matrix", "roc-curve", "pr-curve", "calibration", "score-histogram",
                   "step-loss", "step-accuracy", "learning-rate", "throughput", "epoch-loss", "epoch-accuracy"] {
            XCTAssertEqual(html.components(separatedBy: "<svg id=\"\(id)\"").count - 1, 1, "page shows \(id)")
        }
        // The generated data's file names (00012.png) name no CIFAR-10 class: the page says so.
        XCTAssertFalse(html.contains("<svg id=\"class-accuracy\""))
        XCTAssertTrue(html.contains("No test image's file name names a CIFAR-10 class"))
        XCTAssertTrue(html.contains("<section id=\"mistakes\">"))

        // steps.jsonl: one record per step (2 epochs of ceil(180 / 32) = 6 steps), the last one the run's last step.
        let steps = try RunFolder.load(run).steps
        XCTAssertEqual(steps.map(\.step), Array(1...12))
        XCTAssertEqual(steps.map(\.epoch), Array(repeating: 1, count: 6) + Array(repeating: 2, count: 6))
        XCTAssertTrue(steps.allSatisfy { $0.loss.isFinite && $0.imagesPerSecond > 0 && $0.learningRate > 0 })
        // metrics.json records the test set's digest.
        XCTAssertEqual(try RunFolder.load(run).testDigest?.count, 16)

        // The values of metrics.json, as the page prints them (4 decimals).
        let metrics = try JSONDecoder().decode(ClassificationReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json")))
        let shown = [metrics.accuracy, metrics.precision, metrics.recall, metrics.f1, metrics.rocAUC!,
                     metrics.perClass.real.precision, metrics.perClass.real.recall, metrics.perClass.real.f1,
                     metrics.perClass.fake.precision, metrics.perClass.fake.recall, metrics.perClass.fake.f1]
        for value in shown {
            XCTAssertTrue(html.contains("<td>\(String(format: "%.4f", value))</td>"), "page shows \(value)")
        }
        XCTAssertTrue(html.contains("<td>\(metrics.samples)</td>"))

        // Gallery: 8 REAL and 8 FAKE test images, triptychs 8x the 32x32 image.
        let gallery = refs.filter { $0.hasPrefix("gradcam-") }
        XCTAssertEqual(gallery.count, 16)
        let galleryHTML = try XCTUnwrap(html.components(separatedBy: "<section id=\"gradcam\">").last)
        XCTAssertEqual(galleryHTML.components(separatedBy: "true <b>REAL</b>").count - 1, 8)
        XCTAssertEqual(galleryHTML.components(separatedBy: "true <b>FAKE</b>").count - 1, 8)
        let triptych = try PNG.decode(try AtomicFile.read("\(report)/\(gallery[0])"))
        XCTAssertGreaterThanOrEqual(triptych.width, 3 * 32 * 8)
        XCTAssertGreaterThanOrEqual(triptych.height, 32 * 8)
    }

    func testReportRebuiltFromTheFolderEqualsTheOneTrainingWrote() throws {
        let run = try runFolder()
        let copy = Paths.temporaryFolder("report-copy") + "/run"
        try FileManager.default.copyItem(atPath: run, toPath: copy)
        let written = try String(contentsOfFile: "\(copy)/report/index.html", encoding: .utf8)
        let gallery = try AtomicFile.read("\(copy)/report/gradcam-09.png")
        try FileManager.default.removeItem(atPath: "\(copy)/report")

        // From files only: config.yaml names the data, whose test/ folder is the test split.
        let index = try RunReport.write(runFolder: copy, threads: 2)
        XCTAssertEqual(index, "\(copy)/report/index.html")
        let rebuilt = try String(contentsOfFile: index, encoding: .utf8)
        XCTAssertEqual(rebuilt.replacingOccurrences(of: copy, with: run), written, "same page from the files as at the end of training")
        XCTAssertEqual(try AtomicFile.read("\(copy)/report/gradcam-09.png"), gallery, "same Grad-CAM from the saved model")
    }

    func testReportRefusesAFolderWithoutModelOrMetrics() throws {
        let run = try runFolder()
        let broken = Paths.temporaryFolder("report-broken")
        try FileManager.default.copyItem(atPath: "\(run)/metrics.json", toPath: "\(broken)/metrics.json")
        XCTAssertThrowsError(try RunReport.write(runFolder: broken)) { error in
            XCTAssertEqual(error as? RunFolderError, .missingFile(folder: broken, file: "model.safetensors",
                                                                  expected: "the kept model, for the Grad-CAM gallery"))
        }
        let empty = Paths.temporaryFolder("report-empty")
        XCTAssertThrowsError(try RunReport.write(runFolder: empty)) { error in
            XCTAssertTrue("\(error)".contains("\(empty): metrics.json is missing"), "\(error)")
        }
    }

    func testRunFolderNamesTheBadFileAndLine() throws {
        let run = try runFolder()
        let folder = Paths.temporaryFolder("runfolder-bad")
        try FileManager.default.copyItem(atPath: "\(run)/metrics.json", toPath: "\(folder)/metrics.json")
        let loaded = try RunFolder.load(folder)
        XCTAssertEqual(loaded.history, [])
        XCTAssertEqual(loaded.configurationName, "CNN2D D=32")

        try "{\"epoch\": 1}\nnot json\n".write(toFile: "\(folder)/history.jsonl", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder.load(folder)) { error in
            guard case .badFile(let f, let file, let detail)? = error as? RunFolderError else { return XCTFail("\(error)") }
            XCTAssertEqual(f, folder); XCTAssertEqual(file, "history.jsonl")
            XCTAssertTrue(detail.hasPrefix("line 1:") && detail.contains("train_loss"), detail)
        }
        try FileManager.default.removeItem(atPath: "\(folder)/history.jsonl")
        try "{\"accuracy\": \"high\"}".write(toFile: "\(folder)/metrics.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder.load(folder)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(folder)/metrics.json: expected the JSON of a classification report"), "\(error)")
        }
    }

    /// A cluster run names its kept checkpoint by step: the report must name that one, not the
    /// last epoch its history marks best (a run that kept step 500 at val 0.834 was reported as
    /// "kept epoch 1").
    func testAClusterRunsKeptCheckpointIsTheOneReported() throws {
        let run = try runFolder()
        let folder = Paths.temporaryFolder("runfolder-kept")
        for file in ["history.jsonl", "metrics.json"] {
            try FileManager.default.copyItem(atPath: "\(run)/\(file)", toPath: "\(folder)/\(file)")
        }
        func withExtras(_ extras: [String: Any]) throws -> RunFolder {
            var metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/metrics.json"))) as? [String: Any])
            metrics["best_epoch"] = nil
            metrics.merge(extras) { $1 }
            try JSONSerialization.data(withJSONObject: metrics).write(to: URL(fileURLWithPath: "\(folder)/metrics.json"))
            return try RunFolder.load(folder)
        }
        let history = try RunFolder.load(folder).history
        XCTAssertTrue(history.contains(where: \.best), "the history marks a best epoch")
        // Kept inside an epoch (an evaluator's checkpoint): no epoch is named, the step is.
        let inside = try withExtras(["kept_step": 500, "steps_per_epoch": 57])
        XCTAssertNil(inside.keptEpoch)
        XCTAssertEqual(inside.keptCheckpoint, "step 500 (epoch 9, step 44 of 57)")
        XCTAssertTrue(RunReport.details(inside).contains { $0.name == "kept checkpoint" && $0.value == "step 500 (epoch 9, step 44 of 57)" })
        XCTAssertFalse(RunReport.details(inside).contains { $0.name == "kept epoch" })
        // Kept at an epoch's end: that epoch.
        let atEnd = try withExtras(["kept_step": 114, "steps_per_epoch": 57, "best_epoch": 2])
        XCTAssertEqual(atEnd.keptEpoch, 2)
        XCTAssertNil(atEnd.keptCheckpoint)
    }

    func testConfigValuesReadAsAPersonWritesThem() {
        XCTAssertEqual(RunReport.readable("1.00000004749745e-3"), "0.001")
        XCTAssertEqual(RunReport.readable("1.99999995529652e-2"), "0.02")
        XCTAssertEqual(RunReport.readable("0e+0"), "0")
        XCTAssertEqual(RunReport.readable("12345678901234567"), "12345678901234567", "integers untouched")
        XCTAssertEqual(RunReport.readable("''"), "(none)")
        XCTAssertEqual(RunReport.readable("cnn2d-ext"), "cnn2d-ext")
        XCTAssertEqual(RunReport.readable("runs/a.b"), "runs/a.b")
    }

    // MARK: the command line

    func testReportCommandRebuildsTheReport() throws {
        let cifake = try Paths.cifake()
        let run = try runFolder()
        let copy = Paths.temporaryFolder("report-cli") + "/run"
        try FileManager.default.copyItem(atPath: run, toPath: copy)
        try FileManager.default.removeItem(atPath: "\(copy)/report")
        let result = try runProcess(cifake, ["report", copy])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "\(copy)/report/index.html\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(copy)/report/gradcam-16.png"))

        let missing = try runProcess(cifake, ["report", "\(copy)/nowhere"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("\(copy)/nowhere: expected a run folder"), missing.stderr)
    }

    func testCompareTabulatesRunsAndRefusesAFolderWithoutMetrics() throws {
        let cifake = try Paths.cifake()
        let run = try runFolder()
        let folder = Paths.temporaryFolder("compare")
        // A second run: the same files, with different metrics.
        let other = "\(folder)/ext-run"
        try FileManager.default.copyItem(atPath: run, toPath: other)
        let original = try RunFolder.load(run).metrics
        var metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(other)/metrics.json"))) as! [String: Any]
        metrics["accuracy"] = original.accuracy / 2
        metrics["architecture"] = "CNN2D extended (GAP + Dropout)"
        metrics["epochs_run"] = 7
        try JSONSerialization.data(withJSONObject: metrics).write(to: URL(fileURLWithPath: "\(other)/metrics.json"))

        let result = try runProcess(cifake, ["compare", run, other, "--json", "\(folder)/table.json", "--markdown", "\(folder)/table.md",
                                             "--html", "\(folder)/compare.html"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let page = try String(contentsOfFile: "\(folder)/compare.html", encoding: .utf8)
        for id in ["compare-step-loss", "compare-step-accuracy", "compare-validation-accuracy", "compare-roc"] {
            XCTAssertTrue(page.contains("<svg id=\"\(id)\""), "compare page shows \(id)")
        }
        XCTAssertFalse(page.contains("test-set-warning"), "the same test set: no warning")
        XCTAssertTrue(page.contains("ext-run") && page.contains("CNN2D extended (GAP + Dropout)"))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "| Run | Configuration | Accuracy (%) | Precision (%) | Recall (%) | F-score (%) | ROC AUC (%) | Epochs |")
        XCTAssertTrue(lines[2].hasPrefix("| run | CNN2D D=32 | **\(String(format: "%.3f", original.accuracy * 100))** |"), lines[2])
        XCTAssertTrue(lines[2].hasSuffix(" | 2 |"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("| ext-run | CNN2D extended (GAP + Dropout) | \(String(format: "%.3f", original.accuracy * 50)) |"), lines[3])
        XCTAssertTrue(lines[3].hasSuffix(" | 7 |"), lines[3])
        XCTAssertEqual(try String(contentsOfFile: "\(folder)/table.md", encoding: .utf8), result.stdout)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/table.json"))) as! [String: Any]
        let rows = json["runs"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["run"] as? String }, ["run", "ext-run"])
        XCTAssertEqual(rows[0]["accuracy"] as? Double, original.accuracy)
        XCTAssertEqual(rows[0]["f1"] as? Double, original.f1)
        XCTAssertEqual(rows[0]["roc_auc"] as? Double, original.rocAUC)
        XCTAssertEqual(rows[1]["accuracy"] as? Double, original.accuracy / 2)
        XCTAssertEqual(rows.map { $0["epochs"] as? Int }, [2, 7])

        // Another test set: the page warns.
        metrics["test_digest"] = "0123456789abcdef"
        try JSONSerialization.data(withJSONObject: metrics).write(to: URL(fileURLWithPath: "\(other)/metrics.json"))
        let warned = try runProcess(cifake, ["compare", run, other, "--html", "\(folder)/warned.html"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(try String(contentsOfFile: "\(folder)/warned.html", encoding: .utf8).contains("tested on different test sets"))

        let empty = "\(folder)/not-a-run"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let refused = try runProcess(cifake, ["compare", run, empty, "--json", "\(folder)/refused.json"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("\(empty): metrics.json is missing"), refused.stderr)
        XCTAssertEqual(refused.stdout, "", "no partial table")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/refused.json"))
    }
}

import Checksums
import Dataset
import Evaluation
import Explanation
import Foundation
import ImageCodecs
import Kernels
import Model
import Reporting
import Storage

/// The shell around `ReportPage`: reads a finished run folder, computes the explanation gallery
/// with the kept model, and writes `report/index.html` and its PNG figures atomically.
///
/// One call for every way a run ends: `TrainingRun` at the end of a run, `cifake report` for
/// an existing folder, and the cluster's coordinator once it has written `metrics.json`.
public enum RunReport {
    /// The report's folder inside the run folder.
    public static let folderName = "report"

    /// Where the test images for the gallery come from when the caller has none in memory.
    public struct DataSource: Sendable, Equatable {
        /// Replaces the config's `data` (same split rules as the run: its `test/` folder, or the
        /// run's stratified hold-out).
        public var data: String?
        /// Replaces the config's `test_data` (the whole folder is the test set).
        public var testData: String?

        public init(data: String? = nil, testData: String? = nil) {
            self.data = data
            self.testData = testData
        }
    }

    /// Builds `<runFolder>/report/` from the run's files and returns the path of `index.html`.
    ///
    /// - Parameters:
    ///   - runFolder: a finished run folder (`metrics.json` and `model.safetensors` required;
    ///     `history.jsonl` and `config.yaml` used when present).
    ///   - test: the run's test split, if the caller holds it; otherwise it is loaded as
    ///     `source` or the run's `config.yaml` says.
    ///   - threads: compute threads for the explanations.
    ///   - explanation: the gallery's method, target and scale; nil: the run's `config.yaml`
    ///     (`explain_method`, `explain_target`, `explain_scale`), else the defaults.
    @discardableResult
    public static func write(runFolder: String, test: ImageSet? = nil, source: DataSource = DataSource(), threads: Int = 1,
                             explanation: ExplanationSettings? = nil, progress: ProgressReporter = ProgressReporter()) throws -> String {
        let run = try RunFolder.load(runFolder)
        let modelPath = "\(runFolder)/\(RunFolder.modelFile)"
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw RunFolderError.missingFile(folder: runFolder, file: RunFolder.modelFile, expected: "the kept model, for the Grad-CAM gallery")
        }
        let testSet = try test ?? loadTestSet(run, source: source, progress: progress)

        let modelBytes = try AtomicFile.read(modelPath)
        let network: Network
        do {
            let (architecture, _) = try Network.architecture(ofModelFile: modelBytes, source: modelPath)
            network = Network(architecture: architecture, maxBatch: 64, threads: max(1, threads))
            try network.loadModelFile(modelBytes, source: modelPath)
        } catch {
            throw RunFolderError.badFile(folder: runFolder, file: RunFolder.modelFile, detail: "\(error)")
        }

        var notes: [String] = []
        if testSet.count != run.metrics.samples {
            notes.append("The gallery's test set has \(testSet.count) images, but metrics.json scored \(run.metrics.samples): "
                         + "the data given is not the run's test split.")
        }
        if run.history.isEmpty { notes.append("history.jsonl is missing or empty: no training curves.") }
        if run.steps.isEmpty { notes.append("steps.jsonl is missing or empty: no per-step curves.") }
        let settings = explanation ?? run.config?.explanation ?? ExplanationSettings()
        let digest = Hex.string(testSet.digest)
        if let recorded = run.testDigest, recorded != digest {
            notes.append("The test set given has digest \(digest), but metrics.json was scored on \(recorded): the per-image figures "
                         + "(precision-recall, calibration, histograms, per class, mistakes) come from different images than the metrics table.")
        }
        let probabilities = Trainer.predict(testSet, with: network)
        let predictions = TestPredictions(probabilities: probabilities, labels: testSet.labels,
                                          classes: CIFARClass.classes(of: testSet.sources).map { $0?.rawValue },
                                          classOrder: CIFARClass.allCases.map(\.rawValue), threshold: run.metrics.threshold)
        let wrong = ConfidentMistakes.indices(probabilities: probabilities, labels: testSet.labels, threshold: run.metrics.threshold,
                                              perKind: mistakesPerKind)
        let input = ReportInput(title: run.configurationName, runName: run.name, details: details(run) + [("test set digest", digest)],
                                metrics: run.metrics, curves: curves(run), steps: steps(run), predictions: predictions,
                                gallery: gallery(network: network, test: testSet, indices: GallerySample.indices(labels: testSet.labels),
                                                 threshold: run.metrics.threshold, settings: settings),
                                mistakes: gallery(network: network, test: testSet, indices: wrong.realCalledFake + wrong.fakeCalledReal,
                                                  threshold: run.metrics.threshold, settings: settings),
                                galleryDescription: "Up to \(GallerySample.perClass) REAL and \(GallerySample.perClass) FAKE test images, "
                                    + "chosen with the fixed seed \(GallerySample.seed), explained with \(settings.method.displayName) "
                                    + "(\(describe(settings.target))), on the last convolution's 13x13 grid, each cell placed at its receptive "
                                    + "field's centre; " + (settings.scale == .fixed ? "one colour scale for the whole gallery"
                                                            : "each map scaled to its own maximum (compare maps by their colour bars)"),
                                notes: notes)
        let page = ReportPage.build(input)

        let folder = "\(runFolder)/\(folderName)"
        try AtomicFile.makeFolder(folder)
        for figure in page.figures {
            let image = RGBImage(width: figure.raster.width, height: figure.raster.height, pixels: figure.raster.pixels)
            try AtomicFile.write(try PNG.encode(image), to: "\(folder)/\(figure.fileName)")
        }
        // The page last, so it never refers to a figure that is not written yet.
        let index = "\(folder)/index.html"
        try AtomicFile.write(page.html, to: index)
        return index
    }

    /// The test split as the run saw it: `source` first, then the run's `config.yaml`; a run
    /// trained on generated data finds it in its own `synthetic-data` folder.
    static func loadTestSet(_ run: RunFolder, source: DataSource, progress: ProgressReporter) throws -> ImageSet {
        var config = run.config ?? TrainingConfig()
        if let data = source.data { config.data = data }
        if let testData = source.testData { config.testData = testData }
        if !config.testData.isEmpty {
            var options = config.loadOptions
            options.holdOutFraction = 1
            return try DataLoading.load(config.testData, options: options, progress: progress).test
        }
        if config.data.isEmpty || config.data == "synthetic" {
            guard run.config != nil || source.data != nil else {
                throw RunFolderError.missingFile(folder: run.path, file: RunFolder.configFile,
                                                 expected: "the run's configuration, to find its test data (or give --data)")
            }
            config.data = "\(run.path)/synthetic-data"
            guard FileManager.default.fileExists(atPath: config.data) else {
                throw RunFolderError.missingFile(folder: run.path, file: "synthetic-data",
                                                 expected: "the generated data the run trained on (config.yaml names no data); give --data")
            }
        }
        return try DataLoading.load(config.data, options: config.loadOptions, progress: progress).test
    }

    /// How many of each kind of mistake the report explains.
    public static let mistakesPerKind = 6

    /// The images at `indices` explained by the kept model as `settings` say.
    static func gallery(network: Network, test: ImageSet, indices: [Int], threshold: Float, settings: ExplanationSettings) -> [GalleryItem] {
        guard !indices.isEmpty else { return [] }
        let chosen = test.subset(indices)
        let input = ExplanationBenchmark.floats(chosen)
        let explanations = Explainer.explain(network: network, images: input.pointer, count: chosen.count, method: settings.method,
                                             target: settings.target)
        let tops = settings.scale.tops(of: explanations.map(\.map))
        return explanations.enumerated().map { i, e in
            let start = i * ImageSet.bytesPerImage
            return GalleryItem(pixels: Array(chosen.pixels[start..<start + ImageSet.bytesPerImage]),
                               heatmap: HeatmapScale.normalise(e.map, top: tops[i]),
                               trueLabel: chosen.label(at: i).folderName, predictedLabel: e.probability >= threshold ? "FAKE" : "REAL",
                               probabilityFake: Double(e.probability), source: chosen.sources[i], scaleTop: Double(tops[i]),
                               method: settings.method.displayName, explainedLabel: e.explainedLabel)
        }
    }

    static func describe(_ target: ExplanationTarget) -> String {
        switch target {
        case .predicted: "explaining the predicted class"
        case .fake: "explaining FAKE: the evidence for FAKE in every image"
        case .real: "explaining REAL: the evidence for REAL in every image"
        }
    }

    static func steps(_ run: RunFolder) -> StepCurves {
        let s = run.steps
        // Records close at every epoch's end, so epoch 1's last record is at its last step.
        let perEpoch = run.stepsPerEpoch ?? (s.contains { $0.epoch > 1 } ? s.last(where: { $0.epoch == 1 })?.step : nil)
        return StepCurves(steps: s.map(\.step), loss: s.map(\.loss), accuracy: s.map(\.accuracy), learningRate: s.map(\.learningRate),
                          imagesPerSecond: s.map(\.imagesPerSecond), stepsPerEpoch: perEpoch)
    }

    /// The HTML page of `cifake compare --html`: the runs' curves on shared axes and their
    /// metrics side by side, warning when their test sets differ.
    public static func comparisonPage(_ runs: [RunFolder]) -> String {
        ComparisonPage.build(runs.map {
            ComparisonPage.Run(name: $0.name, configuration: $0.configurationName, metrics: $0.metrics, curves: curves($0), steps: steps($0),
                               testDigest: $0.testDigest, epochs: $0.epochs, path: $0.path)
        })
    }

    static func curves(_ run: RunFolder) -> TrainingCurves {
        let h = run.history
        return TrainingCurves(epochs: h.map(\.epoch), trainLoss: h.map(\.trainLoss), validationLoss: h.map(\.validationLoss),
                              trainAccuracy: h.map(\.trainAccuracy), validationAccuracy: h.map(\.validationAccuracy),
                              testAccuracy: h.map(\.testAccuracy), keptEpoch: run.keptEpoch)
    }

    /// A YAML scalar as a person writes it: Float noise rounded away (1.00000004749745e-3 ->
    /// 0.001), an empty string named.
    static func readable(_ value: String) -> String {
        if value == "''" || value == "\"\"" { return "(none)" }
        if value.contains(where: { $0 == "." || $0 == "e" }), let number = Double(value) {
            return String(format: "%g", number)
        }
        return value
    }

    /// What the run was: metrics.json's context, then config.yaml's keys.
    static func details(_ run: RunFolder) -> [(name: String, value: String)] {
        var rows: [(name: String, value: String)] = [("run folder", run.path)]
        if let a = run.architecture { rows.append(("architecture", a)) }
        if let d = run.data { rows.append(("data", d)) }
        if let t = run.testOrigin { rows.append(("test set", t)) }
        if let e = run.epochs { rows.append(("epochs run", String(e))) }
        if let k = run.keptEpoch { rows.append(("kept epoch", String(k))) }
        if let k = run.keptCheckpoint { rows.append(("kept checkpoint", k)) }
        if let w = run.workers { rows.append(("workers", String(w))) }
        if let config = run.config {
            for line in ConfigFile.yaml(config).split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                rows.append(("config: " + line[..<colon], readable(value)))
            }
        }
        return rows
    }
}

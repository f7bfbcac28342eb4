import Dataset
import Dispatch
import Explanation
import Kernels
import Model

/// The localisation benchmark of the explanation methods (`cifake bench explain`): a small CNN
/// trained on synthetic images with a known artefact, every method's FAKE map of the FAKE test
/// images scored against the artefact's box, the same with the model's weights randomised (the
/// sanity check of Adebayo et al. 2018), and the share of non-empty maps per class. Two
/// conditions: the artefact moves from image to image (with a decoy of equal contrast in both
/// classes), and the artefact stays in one place (the quickstart's synthetic set, where the
/// detector need not look anywhere else). Seeded throughout: the same options give the same
/// figures on one CPU kind; other kinds' GEMMs round differently and train a slightly different model.
public enum ExplanationBenchmark {
    public enum Condition: String, Sendable, Codable, CaseIterable {
        /// `SyntheticCIFAKE.movingArtefactImage`: artefact and decoy anywhere, a box per image.
        case moving
        /// `SyntheticCIFAKE.image`: the artefact always in `artefactRegion`.
        case fixed
    }

    public struct Options: Sendable, Equatable, Codable {
        /// Images per class of the moving-artefact training set, and its epochs: the detector
        /// needs about 400 steps before it finds the artefact, then learns it within an epoch.
        public var trainPerClass = 3000
        public var epochs = 8
        /// The same for the fixed-artefact set (the old Grad-CAM test's size; learnt in one epoch).
        public var fixedTrainPerClass = 600
        public var fixedEpochs = 3
        public var testPerClass = 100
        public var dense = 32
        public var batchSize = 32
        public var learningRate: Float = 1e-3
        /// Seed of the training run (initialisation and order).
        public var seed: UInt64 = 1
        /// Seed of the generated images and the artefact boxes.
        public var dataSeed: UInt64 = 11
        /// Seed of the randomised weights.
        public var randomSeed: UInt64 = 99
        /// Pixels the artefact box is grown by on every side before scoring: half a conv2 cell's
        /// receptive field (8 pixels), which a map on that grid cannot resolve.
        public var slack = 4
        public var threads = 2
        public var conditions = Condition.allCases
        public init() {}
    }

    /// One condition's figures.
    public struct ConditionResult: Sendable, Codable {
        public var condition: Condition
        public var methods: [MethodBenchmark]
        /// The trained model's accuracy on the condition's test set.
        public var testAccuracy: Double
        public var trainSeconds: Double
        public var explainSeconds: Double
    }

    public struct Result: Sendable, Codable {
        public var options: Options
        public var conditions: [ConditionResult]
        /// The default `MethodBenchmark.choose` picks over all conditions (nil: none qualified).
        public var chosen: CAMMethod?
    }

    /// The test or training set of `condition`: REAL and FAKE image `i` alternate, and FAKE
    /// images' artefact boxes are given (nil for REAL).
    public static func dataset(_ condition: Condition, perClass: Int, seed: UInt64, split: String) -> (set: ImageSet, boxes: [ImageBox?]) {
        var pixels: [UInt8] = [], labels: [UInt8] = [], sources: [String] = [], boxes: [ImageBox?] = []
        pixels.reserveCapacity(2 * perClass * ImageSet.bytesPerImage)
        for index in 0..<perClass {
            let region = condition == .moving ? SyntheticCIFAKE.movingArtefactRegions(seed: seed, split: split, index: index).artefact
                : SyntheticCIFAKE.artefactRegion
            for label in Label.allCases {
                pixels += (condition == .moving ? SyntheticCIFAKE.movingArtefactImage(label: label, seed: seed, split: split, index: index)
                           : SyntheticCIFAKE.image(label: label, seed: seed, split: split, index: index)).pixels
                labels.append(label.rawValue)
                sources.append("\(split)/\(label.folderName)/\(index)")
                boxes.append(label == .fake ? ImageBox(rows: region.rows, cols: region.cols) : nil)
            }
        }
        return (ImageSet(pixels: pixels, labels: labels, sources: sources), boxes)
    }

    /// A CNN2D trained on `train` without augmentation (the artefact must stay where its box says).
    public static func train(_ train: ImageSet, epochs: Int, options: Options, log: (String) -> Void = { _ in }) throws -> Network {
        var config = TrainingConfig()
        config.dense = options.dense
        config.batchSize = options.batchSize
        config.epochs = epochs
        config.learningRate = options.learningRate
        config.augmentFlip = false
        config.augmentShift = 0
        config.seed = options.seed
        config.threads = options.threads
        let trainer = Trainer(config: config, train: train)
        for epoch in 0..<config.epochs {
            let order = trainer.order(epoch: epoch)
            var loss = 0.0, correct = 0, samples = 0
            for s in 0..<trainer.stepsPerEpoch {
                let stats = try trainer.step(epoch: epoch, stepInEpoch: s, order: order)
                loss += stats.loss; correct += stats.correct; samples += stats.samples
            }
            log(String(format: "epoch %d/%d: loss %.4f, accuracy %.4f", epoch + 1, epochs, loss / Double(max(1, samples)),
                       Double(correct) / Double(max(1, samples))))
        }
        return trainer.network
    }

    /// Trains a model per condition (or takes `model`, then scored on the moving condition only)
    /// and scores every method.
    public static func run(_ options: Options, model: Network? = nil, log: (String) -> Void = { _ in }) throws -> Result {
        var results: [ConditionResult] = []
        for condition in model == nil ? options.conditions : [.moving] {
            let began = DispatchTime.now().uptimeNanoseconds
            let network: Network
            if let model { network = model } else {
                log("\(condition.rawValue) artefact: training")
                let perClass = condition == .moving ? options.trainPerClass : options.fixedTrainPerClass
                network = try train(dataset(condition, perClass: perClass, seed: options.dataSeed, split: "train").set,
                                    epochs: condition == .moving ? options.epochs : options.fixedEpochs, options: options, log: log)
            }
            let trained = DispatchTime.now().uptimeNanoseconds
            let (test, boxes) = dataset(condition, perClass: options.testPerClass, seed: options.dataSeed, split: "test")
            let probabilities = Trainer.predict(test, with: network)
            let correct = zip(probabilities, test.labels).filter { ($0.0 >= 0.5) == ($0.1 == 1) }.count
            let methods = score(network: network, test: test, boxes: boxes, options: options)
            results.append(ConditionResult(condition: condition, methods: methods, testAccuracy: Double(correct) / Double(max(1, test.count)),
                                           trainSeconds: model == nil ? Double(trained - began) / 1e9 : 0,
                                           explainSeconds: Double(DispatchTime.now().uptimeNanoseconds - trained) / 1e9))
        }
        return Result(options: options, conditions: results, chosen: MethodBenchmark.choose(results.map(\.methods)))
    }

    /// Every method's figures for `network` on `test`, whose FAKE images have `boxes`.
    public static func score(network: Network, test: ImageSet, boxes: [ImageBox?], options: Options) -> [MethodBenchmark] {
        let methods = CAMMethod.allCases
        let shares = nonEmptyShares(network: network, test: test, methods: methods)
        let fakes = test.labels.indices.filter { test.labels[$0] == 1 && boxes[$0] != nil }
        let fakeSet = test.subset(fakes)
        let fakeBoxes = fakes.map { boxes[$0]!.dilated(by: options.slack, width: 32, height: 32) }
        let input = floats(fakeSet)
        let trainedMaps = Explainer.explain(network: network, images: input.pointer, count: fakeSet.count, methods: methods, target: .fake)
        let randomised = Network(architecture: network.architecture, maxBatch: network.maxBatch, threads: network.threads)
        randomised.initialize(seed: options.randomSeed)
        let randomMaps = Explainer.explain(network: randomised, images: input.pointer, count: fakeSet.count, methods: methods, target: .fake)

        return methods.enumerated().map { k, method in
            var te = 0.0, re = 0.0, tp = 0.0, rp = 0.0, chance = 0.0, rho = 0.0, nonEmpty = 0
            for i in fakes.indices {
                let t = trainedMaps[i][k], r = randomMaps[i][k], box = fakeBoxes[i]
                te += LocalisationScore.energy(t.map, width: 32, height: 32, box: box)
                re += LocalisationScore.energy(r.map, width: 32, height: 32, box: box)
                tp += LocalisationScore.pointing(t.map, width: 32, height: 32, box: box)
                rp += LocalisationScore.pointing(r.map, width: 32, height: 32, box: box)
                chance += box.areaShare(width: 32, height: 32)
                rho += RankCorrelation.spearman(t.coarse, r.coarse)
                if !t.isEmpty { nonEmpty += 1 }
            }
            let n = Double(max(1, fakes.count))
            return MethodBenchmark(method: method, trainedEnergy: te / n, randomEnergy: re / n, trainedPointing: tp / n,
                                   randomPointing: rp / n, chance: chance / n, rankCorrelation: rho / n,
                                   nonEmptyFakeTarget: Double(nonEmpty) / n, nonEmptyReal: shares[k].real, nonEmptyFake: shares[k].fake)
        }
    }

    /// For each of `methods`, the share of non-empty maps when every image of `test` is explained
    /// as its predicted class (as the report's gallery explains it), REAL and FAKE images apart.
    public static func nonEmptyShares(network: Network, test: ImageSet, methods: [CAMMethod]) -> [(real: Double, fake: Double)] {
        let input = floats(test)
        let maps = Explainer.explain(network: network, images: input.pointer, count: test.count, methods: methods, target: .predicted)
        let realCount = Double(max(1, test.labels.filter { $0 == 0 }.count)), fakeCount = Double(max(1, test.labels.filter { $0 == 1 }.count))
        return methods.indices.map { k in
            var real = 0, fake = 0
            for (i, label) in test.labels.enumerated() where !maps[i][k].isEmpty {
                if label == 1 { fake += 1 } else { real += 1 }
            }
            return (Double(real) / realCount, Double(fake) / fakeCount)
        }
    }

    /// The images of `set` as network input, values in [0, 1].
    static func floats(_ set: ImageSet) -> FloatBuffer {
        let buffer = FloatBuffer(count: max(1, set.pixels.count))
        for (i, v) in set.pixels.enumerated() { buffer.pointer[i] = Float(v) / 255 }
        return buffer
    }
}

extension ExplanationBenchmark.Result {
    /// The tables a person reads.
    public var lines: [String] {
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        var out: [String] = []
        for c in conditions {
            out.append(String(format: "%@ artefact: test accuracy %.4f on %d images; trained in %.1f s, explained in %.1f s",
                              c.condition.rawValue, c.testAccuracy, 2 * options.testPerClass, c.trainSeconds, c.explainSeconds))
            out.append("  FAKE maps of FAKE images: energy in the artefact box (+\(options.slack) px; chance " + f(c.methods.first?.chance ?? 0)
                       + ") and pointing game, trained vs randomised weights")
            out.append("  method      energy trained  random  separation | pointing trained  random | rank corr. | non-empty REAL  FAKE | flagged")
            for m in c.methods {
                out.append("  " + m.method.displayName.padding(toLength: 12, withPad: " ", startingAt: 0)
                           + "       \(f(m.trainedEnergy))   \(f(m.randomEnergy))       \(f(m.separation)) |            \(f(m.trainedPointing))   \(f(m.randomPointing))"
                           + " |      \(f(m.rankCorrelation)) |           \(f(m.nonEmptyReal))  \(f(m.nonEmptyFake)) | "
                           + (m.trainedEnergy <= m.chance ? "yes: no better than chance"
                              : m.survivesRandomisation ? "yes: survives randomised weights" : (m.rarelyEmpty ? "no" : "no (often empty)")))
            }
        }
        out.append("default: " + (chosen.map { $0.displayName + " (the most energy in the box, averaged over the conditions, among methods "
                                                + "neither flagged nor empty for more than 5% of a class in any condition)" }
                                  ?? "none qualifies"))
        return out
    }
}

import ArgumentParser
import Dataset
import Foundation

/// `cifake data pack SRC --out FILE`: read CIFAKE folders once, write one packed file.
struct DataPackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack CIFAKE folders (train/ and test/, or REAL/ and FAKE/) into one file.",
        discussion: """
            SRC is a folder in the Kaggle layout (train/REAL, train/FAKE, test/REAL, test/FAKE), a folder \
            with only train/, or a folder with REAL and FAKE subfolders; without a test folder, \
            20% of each class is held out as the test set (seeded). Images are JPEG or PNG, 32x32.
            """)

    @Argument(help: "The data folder (or a packed file, to re-pack or check it).")
    var source: String

    @Option(name: .long, help: "The packed file to write (atomically).")
    var out: String

    @Option(name: .customLong("on-bad-file"),
            help: "What to do with a corrupt, truncated, non-image or wrongly sized file: skip or fail.")
    var onBadFile: String = "skip"

    @Flag(name: .long, help: "Resize images that are not 32x32 (bilinear) instead of treating them as bad.")
    var resize = false

    @Option(name: .customLong("split-seed"), help: "Seed of the stratified 80/20 split when there is no test folder.")
    var splitSeed: UInt64 = 0

    @Option(name: .long, help: "Decoding threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard LoadOptions.BadFilePolicy(rawValue: onBadFile) != nil else {
            throw ValidationError("--on-bad-file must be 'skip' or 'fail', found '\(onBadFile)'")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256, found \(threads)") }
    }

    func run() throws {
        var options = LoadOptions(badFiles: LoadOptions.BadFilePolicy(rawValue: onBadFile)!,
                                  wrongSize: resize ? .resize : .refuse, splitSeed: splitSeed)
        if let threads { options.threads = threads }
        let started = Date()
        var badFiles = 0, resized = 0
        let dataset: CIFAKEDataset
        do {
            dataset = try CIFAKEDataset.load(path: source, options: options) { event in
                switch event {
                case .layout(let layout):
                    print("\(source): \(layout.rawValue)")
                case .progress(let split, let done, let total):
                    if done == total { printError("  decoded \(split): \(total) files") }
                case .badFile(let path, let reason):
                    badFiles += 1
                    if badFiles <= 20 { printError("  bad file \(path): \(reason)") }
                    if badFiles == 21 { printError("  (more bad files; counting only)") }
                case .resized(let path, let w, let h):
                    resized += 1
                    if resized <= 5 { printError("  resized \(path) from \(w)x\(h)") }
                case .notAFile(let path, let kind):
                    printError("  skipped \(path): \(kind), not a regular file")
                }
            }
            try PackedDataset.write(dataset, to: out)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let seconds = Date().timeIntervalSince(started)
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print("train: \(dataset.train.classCounts)")
        print("test:  \(dataset.test.classCounts) (\(dataset.testOrigin))")
        print("bad files skipped: \(badFiles), resized: \(resized)")
        print("wrote \(out): \(size) bytes (\(String(format: "%.1f", Double(size) / 1_048_576)) MiB) in \(String(format: "%.2f", seconds)) s")
        print("digest: \(String(dataset.digest, radix: 16))")
    }
}

/// `cifake data synth --out DIR`: write a small synthetic CIFAKE-like set.
struct DataSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic CIFAKE-like set (Kaggle layout) whose FAKE images carry a known artefact.",
        discussion: """
            FAKE image i equals REAL image i plus a faint checkerboard in rows 8..<16, columns 8..<16, \
            so the classes differ only there. For tests and smoke runs; SYNTHETIC.txt in DIR says so.
            """)

    @Option(name: .long, help: "The folder to write (created if missing).")
    var out: String

    @Option(name: .customLong("train-per-class"), help: "Training images per class.")
    var trainPerClass: Int = 1000

    @Option(name: .customLong("test-per-class"), help: "Test images per class.")
    var testPerClass: Int = 250

    @Option(name: .long, help: "Seed; the same seed writes the same images.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Image format: jpeg or png.")
    var format: String = "png"

    func validate() throws {
        guard SyntheticCIFAKE.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be 'jpeg' or 'png', found '\(format)'")
        }
        guard trainPerClass > 0, testPerClass > 0 else {
            throw ValidationError("--train-per-class and --test-per-class must be positive")
        }
    }

    func run() throws {
        let started = Date()
        do {
            try SyntheticCIFAKE.write(to: out, trainPerClass: trainPerClass, testPerClass: testPerClass,
                                      seed: seed, format: SyntheticCIFAKE.Format(rawValue: format)!)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        print("wrote \(2 * (trainPerClass + testPerClass)) synthetic \(format) images to \(out) "
              + "(train \(trainPerClass)/class, test \(testPerClass)/class, seed \(seed)) in "
              + String(format: "%.2f", Date().timeIntervalSince(started)) + " s")
    }
}

private func printError(_ text: String) {
    log.log(prefixed: text)
}

/// `cifake data info PATH`: load a data set (folders or packed file) and describe it.
struct DataInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Load a data set (folders or packed file) and print its counts, digest and load time.")

    @Argument(help: "A data folder or a packed file.")
    var source: String

    func run() throws {
        let started = Date()
        let dataset: CIFAKEDataset
        var badFiles = 0
        do {
            dataset = try CIFAKEDataset.load(path: source) { event in
                if case .badFile(let path, let reason) = event {
                    badFiles += 1
                    if badFiles <= 20 { printError("  bad file \(path): \(reason)") }
                }
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let seconds = Date().timeIntervalSince(started)
        print("\(source): loaded in \(String(format: "%.3f", seconds)) s (root \(dataset.root))")
        print("train: \(dataset.train.classCounts)")
        print("test:  \(dataset.test.classCounts) (\(dataset.testOrigin))")
        if badFiles > 0 { print("bad files skipped: \(badFiles)") }
        let digestStart = Date()
        let digest = dataset.digest
        print("digest: \(String(digest, radix: 16)) (\(String(format: "%.3f", Date().timeIntervalSince(digestStart))) s)")
    }
}

import ArgumentParser
import Explanation
import Foundation
import ImageCodecs
import Imaging
import Kernels
import Model
import Storage
import Training

/// `cifake predict`: REAL or FAKE for each image, with its explanation picture on request.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Say REAL or FAKE for each image, with the probability, and explain it (Grad-CAM, Grad-CAM++, HiResCAM, LayerCAM).",
        discussion: """
            Images are JPEG or PNG, 32x32 like CIFAKE; others are refused unless --resize scales them \
            (bilinear). With --gradcam DIR image number i gets DIR/<i>-<name>-gradcam.png: the image, the heatmap \
            of the regions that pushed the model towards the explained class (--target), their overlay, scaled up 8x, \
            and a colour bar with the map's values. --explain-scale fixed gives all the images one colour scale.
            """)

    @Option(name: .long, help: "Model file (model.safetensors of a run folder).")
    var model: String

    @Argument(help: "Images to classify.")
    var images: [String]

    @Option(name: .long, help: "Folder for the explanation pictures.")
    var gradcam: String?

    @OptionGroup var explanation: ExplanationOptions

    @Flag(name: .long, help: "Print JSON instead of lines.")
    var json = false

    @Flag(name: .long, help: "Resize images that are not 32x32 instead of refusing them.")
    var resize = false

    func run() throws {
        let settings = try explanation.settings()
        let network: Network
        do {
            let bytes = try AtomicFile.read(model)
            let (architecture, _) = try Network.architecture(ofModelFile: bytes, source: model)
            network = Network(architecture: architecture, maxBatch: 64, threads: 1)
            try network.loadModelFile(bytes, source: model)
            if let gradcam { try AtomicFile.makeFolder(gradcam) }
        } catch {
            throw CLIError.message("\(error)", code: 1)
        }
        var failures = 0
        // Every image first: a fixed scale needs all the maps before the first picture.
        let side = network.plan.constants.imageSide
        var decoded: [(index: Int, path: String, image: RGBImage)] = []
        for (index, path) in images.enumerated() {
            do {
                var image = try ImageFormat.decode(try AtomicFile.read(path))
                if image.width != side || image.height != side {
                    guard resize else {
                        throw CLIError.refused("\(path) is \(image.width)x\(image.height), expected \(side)x\(side) (add --resize to scale it)")
                    }
                    image = image.resized(width: side, height: side)
                }
                decoded.append((index, path, image))
            } catch {
                failures += 1
                log.error("\(path): \(error)")
            }
        }
        let floats = network.plan.perImage.input
        let input = FloatBuffer(count: max(1, decoded.count * floats))
        for (k, item) in decoded.enumerated() {
            for i in 0..<floats { input.pointer[k * floats + i] = Float(item.image.pixels[i]) / 255 }
        }
        let explanations = decoded.isEmpty ? [] : Explainer.explain(network: network, images: input.pointer, count: decoded.count,
                                                                    method: settings.method, target: settings.target)
        let tops = settings.scale.tops(of: explanations.map(\.map))
        var rows: [[String: Any]] = []
        for (k, (index, path, image)) in decoded.enumerated() {
            let explanation = explanations[k]
            do {
                let label = explanation.probability >= 0.5 ? "FAKE" : "REAL"
                var row: [String: Any] = ["path": path, "label": label, "probability_fake": Double(explanation.probability),
                                          "explained": explanation.explainedLabel, "method": settings.method.rawValue,
                                          "map_peak": Double(explanation.peak), "empty_map": explanation.isEmpty]
                if let gradcam {
                    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                    let out = "\(gradcam)/\(String(format: "%03d", index + 1))-\(name)-gradcam.png"  // numbered: names may repeat
                    let confidence = label == "FAKE" ? explanation.probability : 1 - explanation.probability
                    let picture = Heatmap.explanationFigure(image: Raster(width: 32, height: 32, pixels: image.pixels),
                                                            heat: HeatmapScale.normalise(explanation.map, top: tops[k]),
                                                            barLabels: ColorBar.labels(top: tops[k]),
                                                            captions: ["image", "\(settings.method.displayName) \(explanation.explainedLabel)",
                                                                       String(format: "%@ %.3f", label, confidence)])
                    try AtomicFile.write(try PNG.encode(RGBImage(width: picture.width, height: picture.height, pixels: picture.pixels)), to: out)
                    row["gradcam"] = out
                }
                rows.append(row)
                if !json {
                    print(String(format: "%@  %@  P(FAKE) = %.4f%@", path, label, explanation.probability,
                                 (row["gradcam"] as? String).map { "  (\(settings.method.displayName) of \(explanation.explainedLabel): \($0))" } ?? ""))
                }
            } catch {
                failures += 1
                log.error("\(path): \(error)")
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

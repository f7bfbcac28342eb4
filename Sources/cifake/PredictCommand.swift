import ArgumentParser
import Explanation
import Foundation
import ImageCodecs
import Kernels
import Model
import Storage
import Training

/// `cifake predict`: REAL or FAKE for each image, with its Grad-CAM picture on request.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Say REAL or FAKE for each image, with the probability, and explain it with Grad-CAM.",
        discussion: """
            Images are JPEG or PNG, 32x32 like CIFAKE; others are refused unless --resize scales them \
            (bilinear). With --gradcam DIR image number i gets DIR/<i>-<name>-gradcam.png: the image, the heatmap \
            of the regions that drove the verdict, and their overlay, scaled up 8x.
            """)

    @Option(name: .long, help: "Model file (model.safetensors of a run folder).")
    var model: String

    @Argument(help: "Images to classify.")
    var images: [String]

    @Option(name: .long, help: "Folder for Grad-CAM pictures.")
    var gradcam: String?

    @Flag(name: .long, help: "Print JSON instead of lines.")
    var json = false

    @Flag(name: .long, help: "Resize images that are not 32x32 instead of refusing them.")
    var resize = false

    func run() throws {
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
        var rows: [[String: Any]] = []
        let side = network.plan.constants.imageSide
        let input = FloatBuffer(count: network.plan.perImage.input)
        for (index, path) in images.enumerated() {
            do {
                var image = try ImageFormat.decode(try AtomicFile.read(path))
                if image.width != side || image.height != side {
                    guard resize else {
                        throw CLIError.refused("\(path) is \(image.width)x\(image.height), expected \(side)x\(side) (add --resize to scale it)")
                    }
                    image = image.resized(width: side, height: side)
                }
                for i in 0..<input.count { input.pointer[i] = Float(image.pixels[i]) / 255 }
                let explanation = GradCAM.explain(network: network, images: input.pointer, count: 1)[0]
                let label = explanation.probability >= 0.5 ? "FAKE" : "REAL"
                var row: [String: Any] = ["path": path, "label": label, "probability_fake": Double(explanation.probability)]
                if let gradcam {
                    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                    let out = "\(gradcam)/\(String(format: "%03d", index + 1))-\(name)-gradcam.png"  // numbered: names may repeat
                    let picture = GradCAM.triptych(image: image.pixels, heatmap: explanation.heatmap,
                                                   caption: String(format: "%@ %.3f", label, label == "FAKE" ? explanation.probability : 1 - explanation.probability))
                    try AtomicFile.write(try PNG.encode(RGBImage(width: picture.width, height: picture.height, pixels: picture.pixels)), to: out)
                    row["gradcam"] = out
                }
                rows.append(row)
                if !json {
                    print(String(format: "%@  %@  P(FAKE) = %.4f%@", path, label, explanation.probability,
                                 (row["gradcam"] as? String).map { "  (Grad-CAM: \($0))" } ?? ""))
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

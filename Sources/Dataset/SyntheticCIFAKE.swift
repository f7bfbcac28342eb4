import Storage
import ImageCodecs
import Randomness

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small synthetic stand-in for CIFAKE, for tests and smoke runs without the real data.
///
/// Every image is a smooth random colour gradient with a few soft blobs and faint noise.
/// REAL image `i` of a split and FAKE image `i` of that split are the *same* picture, except
/// that FAKE carries a grey checkerboard of +-`artefactAmplitude` inside `artefactRegion`:
/// the classes differ only there, so a classifier must look there and Grad-CAM should point
/// there. Pixel values are kept within [amplitude + 4, 251 - amplitude], so the artefact never
/// clips. The region is one aligned 8x8 JPEG block; JPEGs are written with 4:4:4 chroma at
/// quality 95, so encoding does not spread the difference outside it.
public enum SyntheticCIFAKE {
    /// Rows and columns (0-based, in 32x32 image coordinates) of the FAKE artefact.
    public static let artefactRegion = (rows: 8..<16, cols: 8..<16)
    /// Half the checkerboard's peak-to-peak swing, in 8-bit levels.
    public static let artefactAmplitude = 20

    /// File format of the written images.
    public enum Format: String, Sendable, CaseIterable {
        case jpeg, png
        var fileExtension: String { self == .jpeg ? "jpg" : "png" }
    }

    /// The shared picture behind REAL and FAKE image `index` of `split` ("train" or "test").
    public static func baseImage(seed: UInt64, split: String, index: Int) -> RGBImage {
        var rng = SplitMix64(seed: seed, stream: "synthetic-" + split, UInt64(index))
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(rng.nextUnitFloat()) }
        let size = ImageSet.width
        var value = [Double](repeating: 0, count: size * size * 3)
        for c in 0..<3 {
            let mean = uniform(70, 185), gx = uniform(-2.5, 2.5), gy = uniform(-2.5, 2.5)
            for y in 0..<size {
                for x in 0..<size {
                    value[(y * size + x) * 3 + c] = mean + gx * (Double(x) - 15.5) + gy * (Double(y) - 15.5)
                }
            }
        }
        for _ in 0..<(2 + rng.nextIndex(below: 3)) {
            let cx = uniform(0, 32), cy = uniform(0, 32), sigma = uniform(2.5, 7)
            let colour = (0..<3).map { _ in uniform(-70, 70) }
            for y in 0..<size {
                for x in 0..<size {
                    let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                    let weight = exp(-d2 / (2 * sigma * sigma))
                    for c in 0..<3 { value[(y * size + x) * 3 + c] += colour[c] * weight }
                }
            }
        }
        let lo = Double(artefactAmplitude + 4), hi = Double(251 - artefactAmplitude)
        let pixels = value.map { v in UInt8(min(max((v + uniform(-3, 3)).rounded(), lo), hi)) }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Adds the FAKE artefact in `region` (by default `artefactRegion`): +-amplitude on all three
    /// channels, alternating like a checkerboard.
    public static func addArtefact(to image: inout RGBImage, in region: (rows: Range<Int>, cols: Range<Int>) = artefactRegion) {
        for y in region.rows {
            for x in region.cols {
                let delta = (x + y) % 2 == 0 ? artefactAmplitude : -artefactAmplitude
                for c in 0..<3 {
                    let i = (y * image.width + x) * 3 + c
                    image.pixels[i] = UInt8(clamping: Int(image.pixels[i]) + delta)
                }
            }
        }
    }

    /// Image `index` of `label` in `split`: the base picture, plus the artefact if FAKE.
    public static func image(label: Label, seed: UInt64, split: String, index: Int) -> RGBImage {
        var image = baseImage(seed: seed, split: split, index: index)
        if label == .fake { addArtefact(to: &image) }
        return image
    }

    /// Side of the moving artefact's square, in pixels (the fixed one's size).
    public static let movingArtefactSize = 8

    /// Where the artefact (FAKE only) and the decoy (both classes) of image `index` of `split`
    /// sit in the moving variant: two 8x8 squares anywhere inside the image (row and column
    /// offsets 0...24) that do not overlap, drawn from their own stream.
    public static func movingArtefactRegions(seed: UInt64, split: String, index: Int)
        -> (artefact: (rows: Range<Int>, cols: Range<Int>), decoy: (rows: Range<Int>, cols: Range<Int>)) {
        var rng = SplitMix64(seed: seed, stream: "synthetic-artefact-" + split, UInt64(index))
        let n = movingArtefactSize, span = ImageSet.width - n + 1
        let row = rng.nextIndex(below: span), col = rng.nextIndex(below: span)
        var decoyRow = 0, decoyCol = 0
        repeat {
            decoyRow = rng.nextIndex(below: span)
            decoyCol = rng.nextIndex(below: span)
        } while abs(decoyRow - row) < n && abs(decoyCol - col) < n
        return ((row..<row + n, col..<col + n), (decoyRow..<decoyRow + n, decoyCol..<decoyCol + n))
    }

    /// Image `index` of `label` in `split`, moving variant: the base picture with a decoy in both
    /// classes (vertical stripes of the artefact's amplitude: as much contrast, not the
    /// artefact) and, if FAKE, the checkerboard artefact elsewhere. A detector must find the
    /// artefact wherever it is and ignore the decoy; an explanation can be scored against where
    /// the artefact really is, and a map that only follows contrast lights up the decoy too.
    public static func movingArtefactImage(label: Label, seed: UInt64, split: String, index: Int) -> RGBImage {
        var image = baseImage(seed: seed, split: split, index: index)
        let regions = movingArtefactRegions(seed: seed, split: split, index: index)
        for y in regions.decoy.rows {
            for x in regions.decoy.cols {
                let delta = x % 2 == 0 ? artefactAmplitude : -artefactAmplitude
                for c in 0..<3 {
                    let i = (y * image.width + x) * 3 + c
                    image.pixels[i] = UInt8(clamping: Int(image.pixels[i]) + delta)
                }
            }
        }
        if label == .fake { addArtefact(to: &image, in: regions.artefact) }
        return image
    }

    /// Writes `dir/train/{REAL,FAKE}/NNNNN.ext`, `dir/test/{REAL,FAKE}/NNNNN.ext` and a
    /// `SYNTHETIC.txt` that says what the set is. Deterministic for a given seed.
    public static func write(to dir: String, trainPerClass: Int, testPerClass: Int, seed: UInt64,
                             format: Format = .png) throws(DataError) {
        guard trainPerClass > 0, testPerClass > 0 else {
            throw .invalidArgument("synthetic set needs at least 1 image per class and split, found train \(trainPerClass), test \(testPerClass)")
        }
        for (split, perClass) in [("train", trainPerClass), ("test", testPerClass)] {
            for label in Label.allCases {
                let folder = dir + "/" + split + "/" + label.folderName
                do { try AtomicFile.makeFolder(folder) } catch { guard case .io(let p, let o, let d) = error else { throw .invalidArgument("\(error)") }; throw .io(path: p, operation: o, detail: d) }
                for index in 0..<perClass {
                    let picture = image(label: label, seed: seed, split: split, index: index)
                    let bytes: [UInt8]
                    do throws(ImageCodecError) {
                        bytes = format == .png ? try PNG.encode(picture)
                            : try JPEG.encode(picture, quality: 95, subsampling: .s444)
                    } catch {
                        throw .invalidArgument("encoding synthetic image \(split)/\(label)/\(index): \(error)")
                    }
                    let name = String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index)
                    try FileIO.writeFile(folder + "/" + name + "." + format.fileExtension, bytes)
                }
            }
        }
        let note = """
            SYNTHETIC DATA - NOT CIFAKE.
            Written by `cifake data synth` (seed \(seed), \(trainPerClass) train and \(testPerClass) test images per class, \(format.rawValue)).
            Every image is a random smooth gradient with soft blobs. FAKE image i is REAL image i of the same split
            plus a grey checkerboard of +-\(artefactAmplitude)/255 in rows \(artefactRegion.rows.lowerBound)..<\(artefactRegion.rows.upperBound), \
            columns \(artefactRegion.cols.lowerBound)..<\(artefactRegion.cols.upperBound).
            It exists to test the pipeline (a small CNN should reach >95% quickly; Grad-CAM should point at that region).
            Accuracy on it says nothing about real AI-generated-image detection.

            """
        try FileIO.writeFile(dir + "/SYNTHETIC.txt", Array(note.utf8))
    }
}

import Checksums
import ImageCodecs
import Randomness

/// A set of labelled 32x32 RGB images held as one contiguous byte buffer.
///
/// Image `i` occupies `pixels[i * 3072 ..< (i + 1) * 3072]`, row-major HWC (32 x 32 x 3, RGB8).
public struct ImageSet: Sendable, Equatable {
    /// Image height in pixels (CIFAKE's size).
    public static let height = 32
    /// Image width in pixels.
    public static let width = 32
    /// Colour channels (RGB).
    public static let channels = 3
    /// Bytes per image: 32 * 32 * 3 = 3072.
    public static let bytesPerImage = height * width * channels

    /// Number of images.
    public let count: Int
    /// `count * 3072` bytes, image after image, each HWC RGB8.
    public let pixels: [UInt8]
    /// `count` labels, `Label.rawValue` (0 = REAL, 1 = FAKE).
    public let labels: [UInt8]
    /// `count` source paths relative to the data root (e.g. "train/FAKE/1000 (2).jpg"), for reports.
    public let sources: [String]

    /// A set from its parts; sizes must agree and labels must be 0 or 1.
    public init(pixels: [UInt8], labels: [UInt8], sources: [String]) {
        precondition(pixels.count == labels.count * Self.bytesPerImage,
                     "expected \(labels.count * Self.bytesPerImage) pixel bytes for \(labels.count) images, found \(pixels.count)")
        precondition(sources.count == labels.count,
                     "expected \(labels.count) source names, found \(sources.count)")
        precondition(labels.allSatisfy { $0 <= 1 }, "labels must be 0 (REAL) or 1 (FAKE)")
        self.count = labels.count
        self.pixels = pixels
        self.labels = labels
        self.sources = sources
    }

    /// A set with no images.
    public static let empty = ImageSet(pixels: [], labels: [], sources: [])

    /// Image `index` as an `RGBImage` (a copy).
    public func image(at index: Int) -> RGBImage {
        let start = index * Self.bytesPerImage
        return RGBImage(width: Self.width, height: Self.height,
                        pixels: Array(pixels[start..<start + Self.bytesPerImage]))
    }

    /// Label of image `index`.
    public func label(at index: Int) -> Label { Label(rawValue: labels[index])! }

    /// The images at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> ImageSet {
        let n = indices.count
        let b = Self.bytesPerImage
        let newPixels = [UInt8](unsafeUninitializedCapacity: n * b) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
                    (dst.baseAddress! + k * b).update(from: src.baseAddress! + i * b, count: b)
                }
            }
            initialized = n * b
        }
        return ImageSet(pixels: newPixels, labels: indices.map { labels[$0] },
                        sources: indices.map { sources[$0] })
    }

    /// Splits off `round(holdOutFraction * n_c)` images of each class c, chosen by a shuffle
    /// seeded with `seed` (stream "split", one per class), so both parts keep the class balance.
    /// Both parts keep the original order. Depends only on the set's labels and `seed`.
    public func stratifiedSplit(holdOutFraction: Double, seed: UInt64) -> (kept: ImageSet, heldOut: ImageSet) {
        precondition(holdOutFraction >= 0 && holdOutFraction <= 1, "holdOutFraction must be in 0...1")
        var keptIndices: [Int] = []
        var heldIndices: [Int] = []
        for label in Label.allCases {
            let members = (0..<count).filter { labels[$0] == label.rawValue }
            var rng = SplitMix64(seed: seed, stream: "split", UInt64(label.rawValue))
            let order = shuffledIndices(count: members.count, using: &rng)
            let held = Int((holdOutFraction * Double(members.count)).rounded())
            heldIndices += order[..<held].map { members[$0] }
            keptIndices += order[held...].map { members[$0] }
        }
        return (subset(keptIndices.sorted()), subset(heldIndices.sorted()))
    }

    /// Images per class.
    public struct ClassCounts: Sendable, Equatable, CustomStringConvertible {
        public var real: Int
        public var fake: Int
        public init(real: Int, fake: Int) { self.real = real; self.fake = fake }
        public var total: Int { real + fake }
        public var description: String { "\(real) REAL + \(fake) FAKE = \(total)" }
    }

    /// How many REAL and FAKE images the set holds.
    public var classCounts: ClassCounts {
        let fake = labels.withUnsafeBufferPointer { buf in buf.reduce(0) { $0 &+ Int($1) } }
        return ClassCounts(real: count - fake, fake: fake)
    }

    /// A stable 64-bit hash of the content (count, labels, pixels; not the source names):
    /// equal on two machines exactly when they hold the same images in the same order.
    /// XXH64, several GB/s.
    public var digest: UInt64 {
        let labelHash = labels.withUnsafeBytes { XXH64.hash($0, seed: UInt64(count)) }
        return pixels.withUnsafeBytes { XXH64.hash($0, seed: labelHash) }
    }
}

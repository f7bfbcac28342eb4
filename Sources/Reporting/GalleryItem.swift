/// One test image in the explanation gallery: the picture, its heatmap and the verdict.
public struct GalleryItem: Sendable, Equatable {
    /// 32 x 32 x 3 RGB8, row-major (HWC).
    public var pixels: [UInt8]
    /// 32 x 32 map values divided by `scaleTop`, in [0, 1], row-major.
    public var heatmap: [Float]
    /// The map's value that the top of the colour scale stands for (its own maximum, or the
    /// gallery's with a fixed scale); 0 for an empty map.
    public var scaleTop: Double
    /// The method's name, e.g. "HiResCAM".
    public var method: String
    /// The class the map explains, "REAL" or "FAKE".
    public var explainedLabel: String
    /// "REAL" or "FAKE".
    public var trueLabel: String
    /// "REAL" or "FAKE".
    public var predictedLabel: String
    /// The model's P(FAKE).
    public var probabilityFake: Double
    /// Where the image came from (a path relative to the data root), for the caption.
    public var source: String

    public init(pixels: [UInt8], heatmap: [Float], trueLabel: String, predictedLabel: String, probabilityFake: Double,
                source: String, scaleTop: Double = 1, method: String = "Grad-CAM", explainedLabel: String? = nil) {
        precondition(pixels.count == 3072, "GalleryItem: expected 3072 pixel bytes, found \(pixels.count)")
        precondition(heatmap.count == 1024, "GalleryItem: expected 1024 heatmap values, found \(heatmap.count)")
        self.pixels = pixels
        self.heatmap = heatmap
        self.trueLabel = trueLabel
        self.predictedLabel = predictedLabel
        self.probabilityFake = probabilityFake
        self.source = source
        self.scaleTop = scaleTop
        self.method = method
        self.explainedLabel = explainedLabel ?? predictedLabel
    }

    /// The probability of the predicted class.
    public var confidence: Double { predictedLabel == "FAKE" ? probabilityFake : 1 - probabilityFake }
    public var isCorrect: Bool { trueLabel == predictedLabel }
    /// True when no region pushed towards the explained class (the map is zero everywhere).
    public var isEmptyMap: Bool { !heatmap.contains { $0 > 0 } }
}

/// One image's explanation by one method.
public struct Explanation: Sendable, Equatable {
    public var method: CAMMethod
    /// P(FAKE) for the image.
    public var probability: Float
    /// The class explained: true for FAKE.
    public var explainsFake: Bool
    /// The map on the last convolution's grid (13x13, row-major), non-negative, not normalised.
    public var coarse: [Float]
    /// The map on the 32x32 image (row-major), each cell at its receptive field's centre;
    /// non-negative, in the same units as `coarse`, not normalised.
    public var map: [Float]

    public init(method: CAMMethod, probability: Float, explainsFake: Bool, coarse: [Float], map: [Float]) {
        self.method = method
        self.probability = probability
        self.explainsFake = explainsFake
        self.coarse = coarse
        self.map = map
    }

    /// True when no cell pushed the explained score up: nothing to show.
    public var isEmpty: Bool { !coarse.contains { $0 > 0 } }
    /// The largest value of the map (0 when empty).
    public var peak: Float { coarse.max() ?? 0 }
    /// "FAKE" or "REAL".
    public var explainedLabel: String { explainsFake ? "FAKE" : "REAL" }
}

/// Random training-time image changes applied by `fillBatch`.
public struct Augmentation: Sendable, Equatable, Codable {
    /// Mirror left-right with probability 1/2.
    public var horizontalFlip: Bool
    /// Shift by up to this many pixels in each direction (uniform in -maxShift...maxShift for
    /// rows and for columns); uncovered pixels repeat the nearest edge pixel.
    public var maxShift: Int

    public init(horizontalFlip: Bool = false, maxShift: Int = 0) {
        precondition(maxShift >= 0 && maxShift < ImageSet.width, "maxShift must be in 0..<32, found \(maxShift)")
        self.horizontalFlip = horizontalFlip
        self.maxShift = maxShift
    }

    /// No augmentation: images are copied as they are and no randomness is drawn.
    public static let none = Augmentation()
}

import Foundation

/// How `CIFAKEDataset.load` treats bad files, odd sizes and splits.
public struct LoadOptions: Sendable, Equatable {
    /// What to do with a file that cannot be used (unreadable, not an image, corrupt, truncated,
    /// or of the wrong size under `.refuse`). It is always reported first (`LoadEvent.badFile`).
    public enum BadFilePolicy: String, Sendable, Equatable, CaseIterable {
        /// Report and leave it out.
        case skip
        /// Report and stop loading with `DataError.badFile`.
        case fail
    }

    /// What to do with an image that is not 32x32.
    public enum WrongSizePolicy: String, Sendable, Equatable, CaseIterable {
        /// Treat it as a bad file.
        case refuse
        /// Resize it to 32x32 (bilinear) and report it (`LoadEvent.resized`).
        case resize
    }

    public var badFiles: BadFilePolicy
    public var wrongSize: WrongSizePolicy
    /// Seed of the stratified hold-out when there is no test folder.
    public var splitSeed: UInt64
    /// Fraction of each class held out as the test set when there is no test folder.
    public var holdOutFraction: Double
    /// Decoding threads (at least 1).
    public var threads: Int

    public init(badFiles: BadFilePolicy = .skip, wrongSize: WrongSizePolicy = .refuse,
                splitSeed: UInt64 = 0, holdOutFraction: Double = 0.2,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.badFiles = badFiles
        self.wrongSize = wrongSize
        self.splitSeed = splitSeed
        self.holdOutFraction = holdOutFraction
        self.threads = max(1, threads)
    }
}

import Checksums
/// A CIFAKE train/test pair, as loaded from folders or a packed file.
public struct CIFAKEDataset: Sendable, Equatable {
    /// The training images.
    public var train: ImageSet
    /// The test images.
    public var test: ImageSet
    /// Where the test images came from.
    public var testOrigin: TestOrigin
    /// The folder (or packed file's original folder) that `sources` paths are relative to.
    public var root: String

    /// Where the test set came from.
    public enum TestOrigin: Sendable, Equatable, CustomStringConvertible {
        /// A separate test folder (the Kaggle layout's `test/`).
        case folder
        /// Held out from the only folder there was: `fraction` of each class, shuffled with `seed`.
        case stratifiedSplit(fraction: Double, seed: UInt64)

        public var description: String {
            switch self {
            case .folder: return "test folder"
            case .stratifiedSplit(let fraction, let seed):
                return "stratified \(Int((fraction * 100).rounded()))% hold-out (seed \(seed))"
            }
        }
    }

    public init(train: ImageSet, test: ImageSet, testOrigin: TestOrigin, root: String) {
        self.train = train
        self.test = test
        self.testOrigin = testOrigin
        self.root = root
    }

    /// A content hash of both splits (see `ImageSet.digest`), for checking that processes
    /// hold the same data.
    public var digest: UInt64 {
        withUnsafeBytes(of: (train.digest.littleEndian, test.digest.littleEndian)) { XXH64.hash($0, seed: 0xC1FA_CE) }
    }

    /// Loads a data set from `path`, which may be:
    /// - a folder in the Kaggle layout (`train/REAL`, `train/FAKE`, `test/REAL`, `test/FAKE`);
    /// - a folder with only `train/REAL` and `train/FAKE`, or with `REAL` and `FAKE` directly:
    ///   the test set is a stratified hold-out (`options.holdOutFraction`, `options.splitSeed`);
    /// - a packed file written by `PackedDataset.write` (recognised by its magic).
    /// Folder names match case-insensitively; files are JPEG or PNG, read in sorted name order,
    /// so the result does not depend on `options.threads`. `onEvent` is called on the calling
    /// thread with the layout found, progress, and every bad or resized file.
    public static func load(path: String, options: LoadOptions = LoadOptions(),
                            onEvent: (LoadEvent) -> Void = { _ in }) throws(DataError) -> CIFAKEDataset {
        try withoutActuallyEscaping(onEvent) { (onEvent) throws(DataError) -> CIFAKEDataset in
            try FolderLoader(options: options, onEvent: onEvent).load(path: path)
        }
    }
}

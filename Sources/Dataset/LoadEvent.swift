/// What `CIFAKEDataset.load` reports while it works.
public enum LoadEvent: Sendable, Equatable {
    /// The layout found at the path given.
    case layout(DatasetLayout)
    /// `done` of `total` files of `split` ("train", "test" or "all") decoded.
    case progress(split: String, done: Int, total: Int)
    /// A file that was not used (or that stopped the load under `BadFilePolicy.fail`);
    /// `path` is relative to the data root.
    case badFile(path: String, reason: BadFileReason)
    /// A file of another size, resized to 32x32; `path` is relative to the data root.
    case resized(path: String, fromWidth: Int, fromHeight: Int)
    /// An entry of a class folder that is not a regular file (a FIFO, socket or device), left
    /// out without being opened: reading a FIFO would block forever. `path` is relative to the
    /// data root; `kind` says what it is.
    case notAFile(path: String, kind: String)
}

/// Which of the accepted layouts a path holds.
public enum DatasetLayout: String, Sendable, Equatable {
    /// `train/{REAL,FAKE}` and `test/{REAL,FAKE}`.
    case kaggle = "train/ and test/ folders (Kaggle layout)"
    /// `train/{REAL,FAKE}` only: the test set is a stratified hold-out.
    case trainOnly = "train/ folder only (test = stratified hold-out)"
    /// `REAL/` and `FAKE/` directly: the test set is a stratified hold-out.
    case flat = "REAL/ and FAKE/ folders (test = stratified hold-out)"
    /// A file written by `PackedDataset.write`.
    case packed = "packed file"
}

/// Why a file was not used.
public enum BadFileReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read; `detail` is the system's message.
    case unreadable(detail: String)
    /// The file is empty or has neither a JPEG nor a PNG signature.
    case notAnImage
    /// A JPEG or PNG that is damaged or cut short; `detail` is the codec's message.
    case corrupt(detail: String)
    /// An image that is not 32x32 (under `WrongSizePolicy.refuse`).
    case wrongSize(width: Int, height: Int)

    public var description: String {
        switch self {
        case .unreadable(let detail): return "unreadable: \(detail)"
        case .notAnImage: return "not a JPEG or PNG image"
        case .corrupt(let detail): return detail
        case .wrongSize(let w, let h): return "wrong size: expected 32x32, found \(w)x\(h)"
        }
    }
}

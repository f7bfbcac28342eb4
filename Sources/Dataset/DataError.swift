/// Why a data set could not be loaded, packed or written. Every case names the path involved.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing exists at `path`.
    case missing(path: String)
    /// `path` exists but holds neither an accepted folder layout nor a packed file.
    case notADataset(path: String, found: String)
    /// A folder that should hold images has none.
    case emptyFolder(path: String)
    /// A file that could not be used, under `BadFilePolicy.fail`.
    case badFile(path: String, reason: BadFileReason)
    /// Every file of a class was bad, so the class would be empty.
    case noUsableImages(path: String)
    /// A packed file that is damaged, truncated or of another version.
    case badPackedFile(path: String, field: String, expected: String, found: String)
    /// A system call failed; `detail` is the system's message.
    case io(path: String, operation: String, detail: String)
    /// Something that cannot be written (e.g. a source name with a newline).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such file or folder"
        case .notADataset(let path, let found):
            return "\(path): expected a folder with train/REAL, train/FAKE, test/REAL, test/FAKE "
                + "(or REAL and FAKE subfolders), or a packed CIFAKE file; found \(found)"
        case .emptyFolder(let path):
            return "\(path): expected JPEG or PNG images, found an empty folder"
        case .badFile(let path, let reason):
            return "\(path): \(reason)"
        case .noUsableImages(let path):
            return "\(path): every file was bad; no usable images"
        case .badPackedFile(let path, let field, let expected, let found):
            return "\(path): bad packed file: \(field): expected \(expected), found \(found)"
        case .io(let path, let operation, let detail):
            return "\(path): \(operation) failed: \(detail)"
        case .invalidArgument(let text):
            return text
        }
    }
}

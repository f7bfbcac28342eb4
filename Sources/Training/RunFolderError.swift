/// Why a run folder cannot be read: each case names the folder and the file, and says what
/// was expected and what was found.
public enum RunFolderError: Error, CustomStringConvertible, Equatable {
    /// The folder itself does not exist.
    case noFolder(String)
    /// A file a finished run always has is not there.
    case missingFile(folder: String, file: String, expected: String)
    /// A file is there but cannot be used.
    case badFile(folder: String, file: String, detail: String)
    /// Another run holds the folder's lock (see `RunFolderLock`); `holder` is what it wrote there.
    case inUse(folder: String, holder: String)

    public var description: String {
        switch self {
        case .noFolder(let folder):
            return "\(folder): expected a run folder, found no such folder"
        case let .missingFile(folder, file, expected):
            return "\(folder): \(file) is missing (expected \(expected))"
        case let .badFile(folder, file, detail):
            return "\(folder)/\(file): \(detail)"
        case let .inUse(folder, holder):
            return "\(folder) is in use by another run (\(holder.isEmpty ? "just starting" : holder); lock file \(folder)/\(RunFolderLock.fileName)): "
                + "this run does nothing and exits; choose another --out, or wait for that run to end"
        }
    }
}

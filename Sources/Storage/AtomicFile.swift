#if canImport(Glibc)
import Glibc
#endif

/// Files that are either entirely old or entirely new: written to a temporary file in the same
/// folder, fsynced, renamed over the target, and the folder fsynced, so a crash or a full disk
/// never leaves a half-written file under the real name.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let folder = parentFolder(of: path)
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temporary, operation: "create", detail: errorText()) }
        var written = 0
        let failure: StorageError? = bytes.withUnsafeBytes { raw -> StorageError? in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return .io(path: temporary, operation: "write", detail: errorText())
                }
                written += n
            }
            if fsync(fd) != 0 { return .io(path: temporary, operation: "fsync", detail: errorText()) }
            return nil
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let detail = errorText()
            unlink(temporary)
            throw .io(path: path, operation: "rename", detail: detail)
        }
        let dirFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    public static func write(_ text: String, to path: String) throws(StorageError) {
        try write(Array(text.utf8), to: path)
    }

    /// The whole file, or a typed error naming it.
    public static func read(_ path: String) throws(StorageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open", detail: errorText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", detail: errorText()) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        let failure: StorageError? = bytes.withUnsafeMutableBytes { raw -> StorageError? in
            while done < raw.count {
                let n = Glibc.read(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return .io(path: path, operation: "read", detail: errorText())
                }
                if n == 0 { break }
                done += n
            }
            return nil
        }
        if let failure { throw failure }
        return Array(bytes[0..<done])
    }

    /// Creates a folder and its parents (like `mkdir -p`).
    public static func makeFolder(_ path: String) throws(StorageError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/\(part)"
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io(path: current, operation: "mkdir", detail: errorText())
            }
        }
    }

    static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

public enum StorageError: Error, CustomStringConvertible, Equatable {
    case io(path: String, operation: String, detail: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let detail): "\(path): \(operation) failed: \(detail)"
        }
    }
}

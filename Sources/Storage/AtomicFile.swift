#if canImport(Glibc)
import Glibc
#endif

/// Files that are either entirely old or entirely new: written to a temporary file in the same
/// folder, fsynced, renamed over the target, and the folder fsynced, so a crash or a full disk
/// never leaves a half-written file under the real name.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, with `permissions` (before the umask; 0o600 for
    /// secrets: the file is never readable by others, not even while it is written).
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(StorageError) {
        try write(to: path, permissions: permissions) { (file) throws(StorageError) in
            let result = bytes.withUnsafeBytes { raw in Result { () throws(StorageError) in try file.write(raw) } }
            try result.get()
        }
    }

    /// Writes `path` atomically from `body`, which streams the content into the temporary file;
    /// on any error the temporary file is removed and `path` is untouched.
    public static func write(to path: String, permissions: mode_t = 0o644, _ body: (Writer) throws(StorageError) -> Void) throws(StorageError) {
        let folder = parentFolder(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = (folder == "/" ? "" : folder) + "/.\(name).tmp-\(getpid())"
        // A private file must not inherit the mode of a stale temporary file: start afresh.
        let isPrivate = permissions & 0o077 == 0
        if isPrivate { unlink(temporary) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (isPrivate ? O_EXCL : 0), permissions)
        guard fd >= 0 else { throw .io(path: temporary, operation: "create", detail: errorText()) }
        do throws(StorageError) {
            try body(Writer(fd: fd, path: temporary))
            guard fsync(fd) == 0 else { throw StorageError.io(path: temporary, operation: "fsync", detail: errorText()) }
            guard close(fd) == 0 else {
                unlink(temporary)
                throw StorageError.io(path: temporary, operation: "close", detail: errorText())
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let detail = errorText()
            unlink(temporary)
            throw .io(path: path, operation: "rename from \(temporary)", detail: detail)
        }
        let dirFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw .io(path: folder, operation: "open folder for fsync", detail: errorText()) }
        defer { close(dirFD) }
        guard fsync(dirFD) == 0 else { throw .io(path: folder, operation: "fsync folder", detail: errorText()) }
    }

    /// The temporary file being written.
    public struct Writer {
        let fd: Int32
        /// The temporary file's path, for messages.
        public let path: String

        /// Writes all of `bytes` (retrying short writes and EINTR).
        public func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(path: path, operation: "write", detail: AtomicFile.errorText())
                }
                done += n
            }
        }
    }

    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws(StorageError) {
        try write(Array(text.utf8), to: path, permissions: permissions)
    }

    /// The whole file, or a typed error naming it.
    ///
    /// Only a regular file is read: a FIFO or device is refused at once (the open does not wait
    /// for a writer), and a file larger than `maximumBytes` is refused before anything is allocated.
    public static func read(_ path: String, maximumBytes: Int = .max) throws(StorageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .io(path: path, operation: "open", detail: errorText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", detail: errorText()) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw .io(path: path, operation: "read", detail: "expected a regular file, found \(st.st_mode & S_IFMT == S_IFDIR ? "a folder" : "a FIFO, socket or device")")
        }
        guard st.st_size <= maximumBytes else {
            throw .io(path: path, operation: "read", detail: "the file is \(st.st_size) bytes, expected at most \(maximumBytes)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX file helpers: whole-file reads into reused buffers, exact reads and writes,
/// atomic replacement. Errors carry the system's message.
enum FileIO {
    enum Kind { case file, directory, other }

    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// What is at `path`, or nil if nothing (follows symbolic links).
    static func kind(of path: String) -> Kind? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The entries of a folder (without "." and ".."), unsorted.
    static func list(_ path: String) throws(DataError) -> [String] {
        guard let dir = opendir(path) else {
            throw .io(path: path, operation: "opendir", detail: errorText())
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads the whole file at `path` into `buffer` (grown as needed, never shrunk) and returns
    /// its length, or the system's error message.
    static func readWhole(_ path: String, into buffer: inout [UInt8]) -> Result<Int, BadFileReason> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable(detail: errorText())) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(.unreadable(detail: errorText())) }
        guard st.st_mode & S_IFMT == S_IFREG else { return .failure(.unreadable(detail: "not a regular file")) }
        let size = Int(st.st_size)
        // One byte more than the size so a file that grew is noticed rather than cut.
        if buffer.count < size + 1 { buffer = [UInt8](repeating: 0, count: max(size + 1, 4096)) }
        var total = 0
        let capacity = size + 1
        while total < capacity {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, capacity - total) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(detail: errorText()))
            }
            if n == 0 { break }
            total += n
        }
        if total > size { return .failure(.unreadable(detail: "file changed while being read")) }
        return .success(total)
    }

    /// Reads exactly `count` bytes into `dst`; returns the bytes read before end of file.
    static func readFully(_ fd: Int32, _ dst: UnsafeMutableRawPointer, _ count: Int, path: String) throws(DataError) -> Int {
        var total = 0
        while total < count {
            let n = read(fd, dst + total, min(count - total, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read", detail: errorText())
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    static func writeFully(_ fd: Int32, _ src: UnsafeRawPointer, _ count: Int, path: String) throws(DataError) {
        var total = 0
        while total < count {
            let n = write(fd, src + total, min(count - total, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", detail: errorText())
            }
            total += n
        }
    }

    /// Writes a file atomically: `body` writes to a temporary file in the same folder, which is
    /// then fsynced and renamed over `path`, and the folder is fsynced. On any error the
    /// temporary file is removed and `path` is untouched.
    static func writeAtomically(_ path: String, _ body: (_ fd: Int32, _ tempPath: String) throws(DataError) -> Void) throws(DataError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = (folder == "/" ? "" : folder) + "/.\(name).tmp.\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temp, operation: "create", detail: errorText()) }
        do throws(DataError) {
            try body(fd, temp)
            guard fsync(fd) == 0 else { throw DataError.io(path: temp, operation: "fsync", detail: errorText()) }
            guard close(fd) == 0 else {
                unlink(temp)
                throw DataError.io(path: temp, operation: "close", detail: errorText())
            }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard rename(temp, path) == 0 else {
            let detail = errorText()
            unlink(temp)
            throw .io(path: path, operation: "rename from \(temp)", detail: detail)
        }
        let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw .io(path: folder, operation: "open folder for fsync", detail: errorText()) }
        defer { close(dirfd) }
        guard fsync(dirfd) == 0 else { throw .io(path: folder, operation: "fsync folder", detail: errorText()) }
    }

    /// Creates `path` and its missing parents.
    static func makeFolders(_ path: String) throws(DataError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io(path: current, operation: "mkdir", detail: errorText())
            }
        }
    }

    /// Writes `bytes` to `path` (not atomically; for many small files).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(DataError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create", detail: errorText()) }
        defer { close(fd) }
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(DataError) in try writeFully(fd, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, raw.count, path: path) }
        }
        try result.get()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX file helpers: whole-file reads into reused buffers, exact reads and writes,
/// atomic replacement. Errors carry the system's message.
enum FileIO {
    enum Kind: Equatable { case file, directory, other(String) }

    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// What is at `path`, or nil if nothing (follows symbolic links).
    static func kind(of path: String) -> Kind? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other(typeName(st.st_mode))
        }
    }

    /// What a file mode says an entry is, for messages: "a FIFO", "a socket", ...
    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        default: "an entry of unknown type"
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
        let fd = openWithoutBlocking(path)
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

    /// Opens `path` for reading without waiting for a writer: a FIFO put where a file was
    /// expected opens at once (and is then refused by its type) instead of blocking forever.
    static func openWithoutBlocking(_ path: String) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return fd
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

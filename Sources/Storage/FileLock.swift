#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a file, held until `release()` or the end of the process: `flock` on an
/// open descriptor, which the kernel drops when the process dies, however it dies, so a crashed
/// holder never leaves the lock stuck. The file itself is never removed (removing it would let
/// two processes lock two different files of the same name); it names its current holder.
public final class FileLock {
    /// The lock file.
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { release() }

    /// Takes the lock at once or fails: never waits.
    ///
    /// - Parameter holder: written into the file once the lock is held (e.g. pid, host and start
    ///   time), for the message another process shows when it finds the lock taken.
    /// - Throws: ``FileLockError/held(path:holder:)`` with the holder's text when another open
    ///   file (in this or another process) holds it; ``FileLockError/io(_:)`` when the file cannot
    ///   be opened or written.
    public static func acquire(_ path: String, holder: String) throws(FileLockError) -> FileLock {
        // O_CLOEXEC: a child process must not inherit, and so outlive us holding, the lock.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(.io(path: path, operation: "open lock file", detail: AtomicFile.errorText())) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let busy = errno == EWOULDBLOCK
            let detail = AtomicFile.errorText()
            close(fd)
            guard busy else { throw .io(.io(path: path, operation: "flock", detail: detail)) }
            let text = (try? AtomicFile.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw .held(path: path, holder: trimmed(text))
        }
        let lock = FileLock(path: path, fd: fd)
        guard ftruncate(fd, 0) == 0 else { throw .io(.io(path: path, operation: "truncate lock file", detail: AtomicFile.errorText())) }
        let bytes = Array((holder + "\n").utf8)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard written == bytes.count else { throw .io(.io(path: path, operation: "write lock file", detail: AtomicFile.errorText())) }
        return lock
    }

    /// Gives the lock up (also done by `deinit` and by the kernel when the process ends).
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }
}

public enum FileLockError: Error, CustomStringConvertible, Equatable {
    /// Another holder has the lock; `holder` is what it wrote into the file (may be empty when it
    /// has only just taken it).
    case held(path: String, holder: String)
    case io(StorageError)

    public var description: String {
        switch self {
        case .held(let path, let holder): "\(path) is held by \(holder.isEmpty ? "another process" : holder)"
        case .io(let error): error.description
        }
    }
}

/// Without leading and trailing spaces and line breaks (Storage does without Foundation).
private func trimmed(_ text: String) -> String {
    let blank: Set<Character> = [" ", "\t", "\n", "\r"]
    var s = Substring(text)
    while let c = s.first, blank.contains(c) { s = s.dropFirst() }
    while let c = s.last, blank.contains(c) { s = s.dropLast() }
    return String(s)
}

#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to file descriptor 2 (unbuffered, one `write` per call where the kernel
/// takes it whole, safe from any thread).
public func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress! + done, $0.count - done) }
        if n <= 0 { if errno == EINTR { continue }; return }
        done += n
    }
}

/// Whether standard error is a terminal (a live progress bar is drawn there).
public var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

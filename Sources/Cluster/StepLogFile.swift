import Coordination
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The coordinator's step log: one `StepLogEntry` as a JSON line per completed step, appended
/// (a resumed coordinator continues the same file), each line in one `write` so that a reader
/// polling the file sees whole lines or nothing of a line.
final class StepLogFile {
    private let fd: Int32
    private let path: String
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RuntimeError.refused("--step-log \(path): cannot open for appending: \(String(cString: strerror(errno)))")
        }
        self.path = path
    }

    deinit { close(fd) }

    /// Appends `entry`; returns what went wrong, if anything (the caller decides whether to go on).
    func append(_ entry: StepLogEntry) -> String? {
        guard var line = try? encoder.encode(entry) else { return "step \(entry.step) could not be encoded" }
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return written == line.count ? nil : "\(path): wrote \(written) of \(line.count) bytes: \(String(cString: strerror(errno)))"
    }
}

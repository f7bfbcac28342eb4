import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A run's `steps.jsonl`, the I/O shell around `StepRecord`: each record appended with one
/// `write` (a crash loses no line already written; at worst the line being written is torn, and
/// readers skip a torn last line), synced at checkpoints. A resumed run first cuts the file back to
/// its checkpoint's step, so no step is recorded twice.
public final class StepsFile {
    public static let fileName = "steps.jsonl"
    private let fd: Int32
    public let path: String

    /// Opens `<folder>/steps.jsonl` for appending, keeping only the records of steps up to
    /// `keepingUpTo` (0 for a fresh run: the file starts empty).
    public init(folder: String, keepingUpTo step: Int) throws {
        path = "\(folder)/\(Self.fileName)"
        let kept = step > 0 ? Self.read(path).filter { $0.step <= step } : []
        try AtomicFile.write(kept.map(\.line).joined(), to: path)
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw RunFolderError.badFile(folder: folder, file: Self.fileName, detail: "cannot open for appending: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Appends `record`; returns what went wrong, if anything (a lost line is worth a warning,
    /// never the run).
    @discardableResult
    public func append(_ record: StepRecord) -> String? {
        let bytes = Array(record.line.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count ? nil : "\(path): wrote \(written) of \(bytes.count) bytes: \(String(cString: strerror(errno)))"
    }

    /// Makes the lines written so far durable (at checkpoints).
    public func sync() { _ = fsync(fd) }

    /// The records of a `steps.jsonl`; none if it does not exist. Lines that do not parse (a
    /// torn last line after a crash) are skipped; records whose step does not increase are
    /// dropped, so a reader never sees a step twice.
    public static func read(_ path: String) -> [StepRecord] {
        guard let bytes = try? AtomicFile.read(path) else { return [] }
        let decoder = JSONDecoder()
        var records: [StepRecord] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let r = try? decoder.decode(StepRecord.self, from: Data(line)), r.step > (records.last?.step ?? 0) else { continue }
            records.append(r)
        }
        return records
    }
}

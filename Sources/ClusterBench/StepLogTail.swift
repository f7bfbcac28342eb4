import Coordination
import Foundation

/// Reads a step log while the coordinator writes it: bytes in as they appear in the file, whole
/// lines out as entries; a line still being written waits for its newline.
public struct StepLogTail: Sendable {
    private var pending: [UInt8] = []
    /// Lines read so far (for error messages).
    public private(set) var lines = 0

    public init() {}

    /// The entries completed by `bytes`; a line that is not an entry is an error naming it.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ClusterBenchError) -> [StepLogEntry] {
        pending.append(contentsOf: bytes)
        guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = pending[...lastNewline]
        pending.removeSubrange(...lastNewline)
        var entries: [StepLogEntry] = []
        for line in complete.split(separator: UInt8(ascii: "\n")) {
            lines += 1
            do { entries.append(try JSONDecoder().decode(StepLogEntry.self, from: Data(line))) } catch {
                throw .unreadable(what: "step log line \(lines)", expected: "a JSON step entry",
                                  found: String(decoding: line.prefix(200), as: UTF8.self))
            }
        }
        return entries
    }
}

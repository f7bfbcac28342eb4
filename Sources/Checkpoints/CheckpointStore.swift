import Foundation
import Storage

/// A run's `checkpoints/` folder: `step-00001234.safetensors` files written atomically, the
/// last `keep` of them and the best one kept, and two pointer files, `latest` and `best`, each
/// holding a file name and replaced atomically after the file they name is complete. A crash at
/// any moment leaves the previous checkpoint and pointers intact.
public struct CheckpointStore: Sendable {
    public let folder: String
    /// Most recent checkpoints kept (the best is kept in addition).
    public let keep: Int

    public init(runFolder: String, keep: Int) {
        folder = "\(runFolder)/checkpoints"
        self.keep = max(1, keep)
    }

    public static func fileName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".safetensors"
    }

    public func path(step: Int) -> String { "\(folder)/\(Self.fileName(step: step))" }

    /// Writes checkpoint bytes for `step`, moves `latest` (and `best` when `isBest`) to it, then
    /// removes checkpoints that are neither among the last `keep` nor the best. Returns its path.
    @discardableResult
    public func save(_ bytes: [UInt8], step: Int, isBest: Bool) throws(StorageError) -> String {
        try writeFile(bytes, step: step)
        return try commit(step: step, isBest: isBest)
    }

    /// The slow half of `save`: the checkpoint's file, written atomically (no pointer names it
    /// yet). Touches nothing else, so it may run on another thread while `markBest` runs.
    public func writeFile(_ bytes: [UInt8], step: Int) throws(StorageError) {
        try AtomicFile.makeFolder(folder)
        try AtomicFile.write(bytes, to: "\(folder)/\(Self.fileName(step: step))")
    }

    /// The quick half of `save`: points `latest` (and `best`) at a written file, then prunes.
    @discardableResult
    public func commit(step: Int, isBest: Bool) throws(StorageError) -> String {
        let name = Self.fileName(step: step)
        try AtomicFile.write(name + "\n", to: "\(folder)/latest")
        if isBest { try AtomicFile.write(name + "\n", to: "\(folder)/best") }
        prune()
        return "\(folder)/\(name)"
    }

    /// Points `best` at an existing checkpoint (an evaluation that arrived after it was written).
    public func markBest(step: Int) throws(StorageError) {
        let name = Self.fileName(step: step)
        guard FileManager.default.fileExists(atPath: "\(folder)/\(name)") else { return }
        try AtomicFile.write(name + "\n", to: "\(folder)/best")
    }

    /// The step a pointer (`latest` or `best`) names, if any.
    public func pointer(_ name: String) -> Int? {
        guard let bytes = try? AtomicFile.read("\(folder)/\(name)") else { return nil }
        return Self.step(ofFileName: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Steps of the checkpoint files present, ascending.
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap(Self.step(ofFileName:)).sorted()
    }

    static func step(ofFileName name: String) -> Int? {
        guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
        return Int(name.dropFirst(5).dropLast(12))
    }

    /// The newest intact checkpoint: `latest` first, then every other file from the newest
    /// down. Each damaged one is reported through `log` and skipped (never deleted).
    public func loadNewestIntact(log: (String) -> Void) throws(CheckpointError) -> (checkpoint: Checkpoint, bytes: [UInt8], path: String) {
        var candidates = steps().reversed().map { $0 }
        if let latest = pointer("latest") {
            candidates.removeAll { $0 == latest }
            candidates.insert(latest, at: 0)
        }
        var problems: [String] = []
        for step in candidates {
            let path = self.path(step: step)
            do {
                let bytes = try AtomicFile.read(path)
                let checkpoint = try Checkpoint.decode(bytes, source: path)
                if !problems.isEmpty { log("using the previous intact checkpoint \(path) (step \(step))") }
                return (checkpoint, bytes, path)
            } catch {
                let text = "\(error)"
                problems.append(text)
                log("\(text); skipped")
            }
        }
        throw .noneUsable(folder, problems)
    }

    private func prune() {
        let all = steps()
        let best = pointer("best"), latest = pointer("latest")
        let recent = Set(all.suffix(keep))
        for step in all where !recent.contains(step) && step != best && step != latest {
            unlink(path(step: step))
        }
    }
}

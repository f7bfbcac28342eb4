import Coordination
import Checksums
import Dataset
import Foundation
import Storage
import Training
import Wire

/// Gets a worker the run's data: its own copy when the digest matches, else the cached copy
/// from an earlier run, else the packed file from the coordinator, chunk by chunk, checked by
/// chunk checksums and then by the content digest, and cached for next time.
public struct DataCache {
    let folder: String
    let log: (String) -> Void

    /// `$CIFAKE_CACHE`, else `$XDG_CACHE_HOME/cifake`, else `$HOME/.cache/cifake` (the account's
    /// home when HOME is unset): every role's default, a `--cache` flag wins.
    public static var defaultFolder: String {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["CIFAKE_CACHE"], !folder.isEmpty { return folder }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return "\(xdg)/cifake" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.cache/cifake"
    }

    func path(for digest: UInt64) -> String { "\(folder)/\(Hex.string(digest)).cifakepk" }

    /// The coordinator's side: `dataset` packed, as served to workers. Kept in the cache under its
    /// digest: a run folder holds no copy, and a later run or restart on the same data reuses the
    /// file (checked: a damaged or stale one is written again).
    func packed(_ dataset: CIFAKEDataset) throws -> [UInt8] {
        let cached = path(for: dataset.digest)
        if FileManager.default.fileExists(atPath: cached) {
            if let copy = try? PackedDataset.read(path: cached), copy.digest == dataset.digest {
                log("data: serving the cached pack \(cached)")
                return try AtomicFile.read(cached)
            }
            log("data: the cached pack \(cached) is damaged or stale; packing again")
        }
        try AtomicFile.makeFolder(folder)
        try PackedDataset.write(dataset, to: cached)
        log("data: packed into the cache as \(cached)")
        return try AtomicFile.read(cached)
    }

    func obtain(info: RunInfo, localPath: String?, options: LoadOptions, fetch: (ByteRangeRequest) throws -> ByteChunk) throws -> CIFAKEDataset {
        if let localPath {
            let dataset = try DataLoading.load(localPath, options: options, progress: ProgressReporter())
            if dataset.digest == info.dataDigest {
                log("data: using the local copy \(localPath) (digest \(Hex.string(dataset.digest)) matches the coordinator's)")
                return dataset
            }
            log("data: the local copy \(localPath) has digest \(Hex.string(dataset.digest)), the coordinator's is \(Hex.string(info.dataDigest)); fetching the coordinator's")
        }
        let cached = path(for: info.dataDigest)
        if FileManager.default.fileExists(atPath: cached) {
            if let dataset = try? PackedDataset.read(path: cached), dataset.digest == info.dataDigest {
                log("data: using the cached copy \(cached)")
                return dataset
            }
            log("data: the cached copy \(cached) is damaged or stale; fetching again")
        }
        let began = Date()
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(min(info.dataBytes, 1 << 30)))  // grows past 1 GiB only as bytes arrive
        let chunk = 4 << 20
        while UInt64(bytes.count) < info.dataBytes {
            let length = min(chunk, Int(info.dataBytes) - bytes.count)
            let piece = try fetch(ByteRangeRequest(step: 0, offset: UInt64(bytes.count), length: length))
            guard piece.offset == UInt64(bytes.count), piece.bytes.count == length, piece.total == info.dataBytes else {
                throw RuntimeError.protocolViolation("data chunk at offset \(piece.offset) with \(piece.bytes.count) bytes of \(piece.total); expected offset \(bytes.count), \(length) bytes of \(info.dataBytes)")
            }
            bytes += piece.bytes
        }
        try AtomicFile.makeFolder(folder)
        try AtomicFile.write(bytes, to: cached)
        let dataset = try PackedDataset.read(path: cached)
        guard dataset.digest == info.dataDigest else {
            try? FileManager.default.removeItem(atPath: cached)
            throw RuntimeError.protocolViolation("received data has digest \(Hex.string(dataset.digest)), the coordinator announced \(Hex.string(info.dataDigest))")
        }
        log(String(format: "data: received %.1f MB from the coordinator in %.1f s, cached at %@", Double(bytes.count) / 1e6,
                   Date().timeIntervalSince(began), cached))
        return dataset
    }
}

public enum RuntimeError: Error, CustomStringConvertible {
    case protocolViolation(String)
    case refused(String)
    case timeout(String)
    case stopped(String)
    /// The run was stopped on a signal with its state saved (exit status 75: resume it).
    case suspended(String)

    public var description: String {
        switch self {
        case .protocolViolation(let s): "protocol error: \(s)"
        case .refused(let s): s
        case .timeout(let s): "timed out: \(s)"
        case .stopped(let s): "stopped: \(s)"
        case .suspended(let s): s
        }
    }
}

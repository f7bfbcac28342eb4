import Dispatch
import ImageCodecs

/// Reads the folder layouts `CIFAKEDataset.load` accepts: finds the layout, lists and sorts
/// the files, decodes them in parallel into one preallocated buffer per split, and reports
/// and drops bad files.
struct FolderLoader {
    let options: LoadOptions
    let onEvent: (LoadEvent) -> Void

    /// Files decoded between two progress events (and between two checks for `.fail`).
    static let batchSize = 4096

    func load(path: String) throws(DataError) -> CIFAKEDataset {
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch FileIO.kind(of: root) {
        case nil:
            throw .missing(path: root)
        case .file?:
            guard PackedDataset.hasMagic(path: root) else {
                throw .notADataset(path: root, found: "a file that is not a packed data set (no CIFAKEPK magic)")
            }
            onEvent(.layout(.packed))
            return try PackedDataset.read(path: root)
        case .other(let kind)?:
            throw .notADataset(path: root, found: "\(kind), neither a regular file nor a folder")
        case .directory?:
            break
        }

        let top = try FileIO.list(root)
        let trainName = Self.child(named: "train", in: top, of: root)
        let testName = Self.child(named: "test", in: top, of: root)
        if let trainName {
            let trainFolders = try classFolders(in: root, relative: trainName)
            if let testName {
                onEvent(.layout(.kaggle))
                let testFolders = try classFolders(in: root, relative: testName)
                let train = try decode(split: "train", folders: trainFolders, root: root)
                let test = try decode(split: "test", folders: testFolders, root: root)
                return CIFAKEDataset(train: train, test: test, testOrigin: .folder, root: root)
            }
            onEvent(.layout(.trainOnly))
            try checkHoldOut(root)
            return try split(decode(split: "train", folders: trainFolders, root: root), root: root)
        }
        let hasClassFolder = top.contains { Label(folderName: $0) != nil && FileIO.kind(of: root + "/" + $0) == .directory }
        guard hasClassFolder else {
            let found = top.isEmpty ? "an empty folder"
                : "entries " + top.sorted().prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (top.count > 8 ? ", ..." : "")
            throw .notADataset(path: root, found: found)
        }
        onEvent(.layout(.flat))
        try checkHoldOut(root)
        return try split(decode(split: "all", folders: classFolders(in: root, relative: ""), root: root), root: root)
    }

    private func checkHoldOut(_ root: String) throws(DataError) {
        let f = options.holdOutFraction
        guard f >= 0 && f <= 1 else {
            throw .invalidArgument("\(root): the test hold-out fraction must be a number in 0...1, found \(f)")
        }
    }

    private func split(_ all: ImageSet, root: String) -> CIFAKEDataset {
        let (kept, heldOut) = all.stratifiedSplit(holdOutFraction: options.holdOutFraction, seed: options.splitSeed)
        return CIFAKEDataset(train: kept, test: heldOut,
                             testOrigin: .stratifiedSplit(fraction: options.holdOutFraction, seed: options.splitSeed),
                             root: root)
    }

    /// The entry of `names` equal to `wanted` ignoring case that is a folder, if any.
    private static func child(named wanted: String, in names: [String], of folder: String) -> String? {
        names.sorted().first { $0.lowercased() == wanted && FileIO.kind(of: folder + "/" + $0) == .directory }
    }

    /// The REAL and FAKE folders under `root/relative`, as paths relative to `root`.
    private func classFolders(in root: String, relative: String) throws(DataError) -> [(Label, String)] {
        let folder = relative.isEmpty ? root : root + "/" + relative
        let names = try FileIO.list(folder)
        var result: [(Label, String)] = []
        for label in Label.allCases {
            guard let name = Self.child(named: label.folderName.lowercased(), in: names, of: folder) else {
                let found = names.isEmpty ? "an empty folder" : "entries " + names.sorted().prefix(8).map { "'\($0)'" }.joined(separator: ", ")
                throw .notADataset(path: folder, found: "no \(label.folderName) subfolder (\(found))")
            }
            result.append((label, relative.isEmpty ? name : relative + "/" + name))
        }
        return result
    }

    /// A pointer handed to worker threads that write disjoint parts of its buffer.
    private struct SharedPointer<T>: @unchecked Sendable {
        let base: UnsafeMutablePointer<T>
        init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    }

    /// What decoding one file gave.
    private enum Outcome: Sendable {
        case ok
        case resized(width: Int, height: Int)
        case bad(BadFileReason)
    }

    /// Decodes every file of the class folders into one set, in (label, sorted name) order.
    private func decode(split: String, folders: [(Label, String)], root: String) throws(DataError) -> ImageSet {
        var sources: [String] = []
        var labels: [UInt8] = []
        for (label, relative) in folders {
            // Hidden files (".DS_Store", editors' temporaries) are not data; nor are FIFOs, sockets
            // and devices, which are reported and never opened.
            let names = try FileIO.list(root + "/" + relative).filter { name in
                guard !name.hasPrefix(".") else { return false }
                guard case .other(let kind)? = FileIO.kind(of: root + "/" + relative + "/" + name) else { return true }
                onEvent(.notAFile(path: relative + "/" + name, kind: kind))
                return false
            }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            guard !names.isEmpty else { throw .emptyFolder(path: root + "/" + relative) }
            sources += names.map { relative + "/" + $0 }
            labels += [UInt8](repeating: label.rawValue, count: names.count)
        }
        let total = sources.count
        let b = ImageSet.bytesPerImage
        var pixels = [UInt8](repeating: 0, count: total * b)
        var outcomes = [Outcome](repeating: .ok, count: total)
        let threads = options.threads
        let resize = options.wrongSize == .resize

        onEvent(.progress(split: split, done: 0, total: total))
        var start = 0
        while start < total {
            let end = min(start + Self.batchSize, total)
            let chunks = min(threads * 4, end - start)
            let (batchStart, batchEnd, paths) = (start, end, sources)
            pixels.withUnsafeMutableBufferPointer { pixBuffer in
                outcomes.withUnsafeMutableBufferPointer { outBuffer in
                    // Each chunk writes only its own images' bytes and outcomes.
                    let pix = SharedPointer(pixBuffer.baseAddress!), out = SharedPointer(outBuffer.baseAddress!)
                    let work = { @Sendable (chunk: Int) in
                        let lo = batchStart + (batchEnd - batchStart) * chunk / chunks
                        let hi = batchStart + (batchEnd - batchStart) * (chunk + 1) / chunks
                        let decoder = JPEG.Decoder()
                        var buffer: [UInt8] = []
                        for i in lo..<hi {
                            out.base[i] = Self.decodeOne(root + "/" + paths[i], buffer: &buffer, decoder: decoder,
                                                         resize: resize, into: pix.base + i * b)
                        }
                    }
                    if threads == 1 {
                        for chunk in 0..<chunks { work(chunk) }
                    } else {
                        DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
                    }
                }
            }
            for i in start..<end {
                switch outcomes[i] {
                case .ok: break
                case .resized(let w, let h): onEvent(.resized(path: sources[i], fromWidth: w, fromHeight: h))
                case .bad(let reason):
                    onEvent(.badFile(path: sources[i], reason: reason))
                    if options.badFiles == .fail { throw .badFile(path: root + "/" + sources[i], reason: reason) }
                }
            }
            start = end
            onEvent(.progress(split: split, done: end, total: total))
        }

        // Drop the bad files, keeping order: move each good image down over the gaps.
        var keep: [Int] = []
        keep.reserveCapacity(total)
        for i in 0..<total { if case .bad = outcomes[i] { continue }; keep.append(i) }
        if keep.count < total {
            pixels.withUnsafeMutableBufferPointer { pix in
                for (k, i) in keep.enumerated() where k != i {
                    (pix.baseAddress! + k * b).update(from: pix.baseAddress! + i * b, count: b)
                }
            }
            pixels.removeLast((total - keep.count) * b)
            sources = keep.map { sources[$0] }
            labels = keep.map { labels[$0] }
        }
        for (label, relative) in folders where !labels.contains(label.rawValue) {
            throw .noUsableImages(path: root + "/" + relative)
        }
        return ImageSet(pixels: pixels, labels: labels, sources: sources)
    }

    /// Reads and decodes one file into `dst` (3072 bytes).
    private static func decodeOne(_ path: String, buffer: inout [UInt8], decoder: JPEG.Decoder,
                                  resize: Bool, into dst: UnsafeMutablePointer<UInt8>) -> Outcome {
        let length: Int
        switch FileIO.readWhole(path, into: &buffer) {
        case .failure(let reason): return .bad(reason)
        case .success(let n): length = n
        }
        let decoded: Result<RGBImage, ImageCodecError> = buffer.withUnsafeBytes { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[..<length])
            return Result { () throws(ImageCodecError) -> RGBImage in
                switch ImageFormat.sniff(bytes) {
                case .jpeg?: return try decoder.decode(bytes)
                case .png?: return try PNG.decode(bytes)
                case nil: throw .notAnImage(firstBytes: [])
                }
            }
        }
        var image: RGBImage
        switch decoded {
        case .failure(.notAnImage): return .bad(.notAnImage)
        case .failure(let error): return .bad(.corrupt(detail: error.description))
        case .success(let decodedImage): image = decodedImage
        }
        var outcome = Outcome.ok
        if image.width != ImageSet.width || image.height != ImageSet.height {
            guard resize else { return .bad(.wrongSize(width: image.width, height: image.height)) }
            outcome = .resized(width: image.width, height: image.height)
            image = image.resized(width: ImageSet.width, height: ImageSet.height)
        }
        image.pixels.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: ImageSet.bytesPerImage) }
        return outcome
    }
}

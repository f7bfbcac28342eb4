import Checksums
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The packed data set file: one file holding a whole `CIFAKEDataset`, read in one pass.
///
/// Layout, all integers little-endian:
/// ```
/// offset size  field
///      0    8  magic "CIFAKEPK"
///      8    4  version (UInt32) = 1
///     12    4  height = 32 (UInt32)
///     16    4  width = 32 (UInt32)
///     20    4  channels = 3 (UInt32)
///     24    8  train count (UInt64)
///     32    8  test count (UInt64)
///     40    4  test origin: 0 = test folder, 1 = stratified split (UInt32)
///     44    4  reserved = 0
///     48    8  hold-out fraction (Float64 bits; 0 for a test folder)
///     56    8  split seed (UInt64; 0 for a test folder)
///     64    8  root length in bytes (UInt64)
///     72    8  train source-name blob length (UInt64)
///     80    8  test source-name blob length (UInt64)
///     88    8  reserved = 0
///     96       root (UTF-8)
///              train labels (count bytes), train pixels (count * 3072 bytes, HWC RGB8),
///              train source names (UTF-8, joined with "\n")
///              test labels, test pixels, test source names
///    end-8   8  checksum: chained XXH64 of everything above: h = XXH64(header, seed 0),
///              then h = XXH64(section, seed h) for each of the 7 sections in order
/// ```
public enum PackedDataset {
    /// The first 8 bytes of every packed file.
    public static let magic: [UInt8] = Array("CIFAKEPK".utf8)
    /// The format version this code writes and reads.
    public static let version: UInt32 = 1
    static let headerSize = 96

    /// Whether the file at `path` starts with the packed magic.
    public static func hasMagic(path: String) -> Bool {
        let fd = FileIO.openWithoutBlocking(path)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 8)
        let n = head.withUnsafeMutableBytes { try? FileIO.readFully(fd, $0.baseAddress!, 8, path: path) }
        return n == 8 && head == magic
    }

    /// Writes `dataset` to `path` atomically (temporary file in the same folder, fsync, rename,
    /// fsync of the folder): a reader sees the old file or the complete new one, never a part.
    public static func write(_ dataset: CIFAKEDataset, to path: String) throws(DataError) {
        for sourceName in dataset.train.sources + dataset.test.sources where sourceName.contains("\n") {
            throw .invalidArgument("cannot pack source name containing a newline: \(sourceName.debugDescription)")
        }
        var header = [UInt8](repeating: 0, count: headerSize)
        header.replaceSubrange(0..<8, with: magic)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset..<offset + $0.count, with: $0) }
        }
        let root = Array(dataset.root.utf8)
        let trainNames = Array(dataset.train.sources.joined(separator: "\n").utf8)
        let testNames = Array(dataset.test.sources.joined(separator: "\n").utf8)
        put(version, at: 8)
        put(UInt32(ImageSet.height), at: 12)
        put(UInt32(ImageSet.width), at: 16)
        put(UInt32(ImageSet.channels), at: 20)
        put(UInt64(dataset.train.count), at: 24)
        put(UInt64(dataset.test.count), at: 32)
        switch dataset.testOrigin {
        case .folder:
            put(UInt32(0), at: 40)
        case .stratifiedSplit(let fraction, let seed):
            put(UInt32(1), at: 40)
            put(fraction.bitPattern, at: 48)
            put(seed, at: 56)
        }
        put(UInt64(root.count), at: 64)
        put(UInt64(trainNames.count), at: 72)
        put(UInt64(testNames.count), at: 80)

        let sections = [header, root, dataset.train.labels, dataset.train.pixels, trainNames,
                        dataset.test.labels, dataset.test.pixels, testNames]
        do {
            try AtomicFile.write(to: path) { (file) throws(StorageError) in
                var checksum: UInt64 = 0
                for section in sections {
                    let result = section.withUnsafeBytes { raw in
                        Result { () throws(StorageError) in
                            checksum = XXH64.hash(raw, seed: checksum)
                            try file.write(raw)
                        }
                    }
                    try result.get()
                }
                try withUnsafeBytes(of: checksum.littleEndian) { raw in Result { () throws(StorageError) in try file.write(raw) } }.get()
            }
        } catch {
            guard case .io(let file, let operation, let detail) = error else { throw .io(path: path, operation: "write", detail: "\(error)") }
            throw .io(path: file, operation: operation, detail: detail)
        }
    }

    /// Reads a packed file, verifying magic, version, geometry, size and checksum.
    /// Damage is a `DataError.badPackedFile` naming the file, the field, and expected vs found.
    public static func read(path: String) throws(DataError) -> CIFAKEDataset {
        let fd = FileIO.openWithoutBlocking(path)
        guard fd >= 0 else {
            throw errno == ENOENT ? .missing(path: path) : .io(path: path, operation: "open", detail: FileIO.errorText())
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "fstat", detail: FileIO.errorText()) }
        let fileSize = Int(st.st_size)
        func bad(_ field: String, _ expected: String, _ found: String) -> DataError {
            .badPackedFile(path: path, field: field, expected: expected, found: found)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw bad("file type", "a regular file", FileIO.typeName(st.st_mode))
        }

        var header = [UInt8](repeating: 0, count: headerSize)
        let got = try header.withUnsafeMutableBytes { raw in
            Result { () throws(DataError) in try FileIO.readFully(fd, raw.baseAddress!, headerSize, path: path) }
        }.get()
        guard got >= 8, Array(header[0..<8]) == magic else {
            let found = header.prefix(got).prefix(8).map { ($0 >= 32 && $0 < 127) ? String(UnicodeScalar($0)) : "." }.joined()
            throw bad("magic", "\"CIFAKEPK\"", "\"\(found)\"")
        }
        guard got == headerSize else { throw bad("file size", "at least \(headerSize + 8) bytes", "\(fileSize) bytes (truncated)") }
        func get<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            header.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let fileVersion = get(UInt32.self, at: 8)
        guard fileVersion == version else { throw bad("version", "\(version)", "\(fileVersion)") }
        let geometry = [get(UInt32.self, at: 12), get(UInt32.self, at: 16), get(UInt32.self, at: 20)]
        guard geometry == [UInt32(ImageSet.height), UInt32(ImageSet.width), UInt32(ImageSet.channels)] else {
            throw bad("image geometry (height x width x channels)", "32x32x3", geometry.map(String.init).joined(separator: "x"))
        }
        let limit: UInt64 = 1 << 36  // far above any real set; keeps size arithmetic from overflowing
        let counts = [get(UInt64.self, at: 24), get(UInt64.self, at: 32)]
        let blobLengths = [get(UInt64.self, at: 64), get(UInt64.self, at: 72), get(UInt64.self, at: 80)]
        guard counts.allSatisfy({ $0 < limit }), blobLengths.allSatisfy({ $0 < limit }) else {
            throw bad("header counts", "plausible counts and lengths", "\(counts) images, \(blobLengths) name bytes")
        }
        let trainCount = Int(counts[0]), testCount = Int(counts[1])
        let b = ImageSet.bytesPerImage
        let expectedSize = headerSize + blobLengths.reduce(0) { $0 + Int($1) } + (trainCount + testCount) * (1 + b) + 8
        guard fileSize == expectedSize else {
            throw bad("file size", "\(expectedSize) bytes for \(trainCount) + \(testCount) images",
                      "\(fileSize) bytes" + (fileSize < expectedSize ? " (truncated)" : ""))
        }
        let origin: CIFAKEDataset.TestOrigin
        switch get(UInt32.self, at: 40) {
        case 0: origin = .folder
        case 1:
            let fraction = Double(bitPattern: get(UInt64.self, at: 48))
            guard fraction >= 0 && fraction <= 1 else { throw bad("hold-out fraction", "a number in 0...1", "\(fraction)") }
            origin = .stratifiedSplit(fraction: fraction, seed: get(UInt64.self, at: 56))
        case let other: throw bad("test origin", "0 or 1", "\(other)")
        }
        guard trainCount > 0 else { throw bad("train count", "at least 1 training image", "0") }

        var checksum = XXH64.hash(header, seed: 0)
        func section(_ count: Int, _ name: String) throws(DataError) -> [UInt8] {
            var failure: DataError?
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
                do throws(DataError) {
                    let n = count == 0 ? 0 : try FileIO.readFully(fd, UnsafeMutableRawPointer(buf.baseAddress!), count, path: path)
                    if n < count { failure = bad(name, "\(count) bytes", "\(n) bytes (truncated)") }
                    initialized = n
                } catch { failure = error }
            }
            if let failure { throw failure }
            checksum = bytes.withUnsafeBytes { XXH64.hash($0, seed: checksum) }
            return bytes
        }
        let rootBytes = try section(Int(blobLengths[0]), "root")
        let trainLabels = try section(trainCount, "train labels")
        let trainPixels = try section(trainCount * b, "train pixels")
        let trainNames = try section(Int(blobLengths[1]), "train source names")
        let testLabels = try section(testCount, "test labels")
        let testPixels = try section(testCount * b, "test pixels")
        let testNames = try section(Int(blobLengths[2]), "test source names")
        var stored: UInt64 = 0
        let n = try withUnsafeMutableBytes(of: &stored) { raw in
            Result { () throws(DataError) in try FileIO.readFully(fd, raw.baseAddress!, 8, path: path) }
        }.get()
        guard n == 8 else { throw bad("checksum", "8 bytes", "\(n) bytes (truncated)") }
        stored = UInt64(littleEndian: stored)
        guard stored == checksum else {
            throw bad("checksum", Hex.prefixed(stored) + " (stored)", Hex.prefixed(checksum) + " (computed): the content is damaged")
        }

        func makeSet(_ split: String, _ labels: [UInt8], _ pixels: [UInt8], _ names: [UInt8]) throws(DataError) -> ImageSet {
            if let badLabel = labels.first(where: { $0 > 1 }) {
                throw bad("\(split) labels", "0 (REAL) or 1 (FAKE)", "\(badLabel)")
            }
            let sources = labels.isEmpty ? [] : names.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard sources.count == labels.count else {
                throw bad("\(split) source names", "\(labels.count) names", "\(sources.count)")
            }
            return ImageSet(pixels: pixels, labels: labels, sources: sources)
        }
        return CIFAKEDataset(train: try makeSet("train", trainLabels, trainPixels, trainNames),
                             test: try makeSet("test", testLabels, testPixels, testNames),
                             testOrigin: origin, root: String(decoding: rootBytes, as: UTF8.self))
    }
}

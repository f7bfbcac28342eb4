import TestSupport
@testable import Wire
import XCTest

/// One message of every benchmark kind, with awkward values: Unicode, extremes, absent and present
/// keys, empty lists.
let benchSamples: [BenchControl] = [
    .hello(rank: 0, endpoint: "ipc://@cifake-bench-77-0", publicKey: nil),
    .hello(rank: BenchControlCodec.maximumRank, endpoint: "tcp://127.0.0.1:49152", publicKey: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"),
    .ring(successor: "tcp://127.0.0.1:5601", successorKey: nil, predecessorKey: nil),
    .ring(successor: "ipc://@ring-ß", successorKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", predecessorKey: ""),
    .ready(rank: 1),
    .go,
    .warmedUp(rank: 3, secondsPerStep: 0.3375),
    .warmedUp(rank: 0, secondsPerStep: .leastNonzeroMagnitude),
    .trainWindow(steps: 1),
    .trainWindow(steps: BenchControlCodec.maximumWindowSteps),
    .windowTimes(.init(rank: 1, index: 2, steps: 5, seconds: 1.75, computeSeconds: 1.6, reduceSeconds: 0.15, cpuSeconds: 1.7)),
    .windowTimes(.init(rank: 0, index: 0, steps: 0, seconds: 0, computeSeconds: -0.0, reduceSeconds: 1e-300, cpuSeconds: .greatestFiniteMagnitude)),
    .allReduceTimes(.init(rank: 1, sizeIndex: 1, cpuSeconds: 0.0069, seconds: [0.0132, 0.0121, 0.0145])),
    .allReduceTimes(.init(rank: 0, sizeIndex: BenchControlCodec.maximumBufferSizes - 1, cpuSeconds: 0, seconds: [])),
    .weightsChecksum(rank: 1, checksum: 0x8181_55b4_98a8_fd4d),
    .weightsChecksums([0x8181_55b4_98a8_fd4d, 0, .max]),
    .weightsChecksums([]),
    .agreed(rank: 2),
    .failed(rank: 1, message: "size 4.0 MiB repetition 3: element 17 expected 26.0, found 27.0 — 🙂"),
    .failed(rank: 0, message: ""),
]

final class BenchControlCodecTests: XCTestCase {
    func testEveryKindRoundTripsInTheClusterFrame() throws {
        XCTAssertEqual(Set(benchSamples.map(\.kind)), Set(WireKind.allCases.filter(\.isBenchControl)), "a sample of every benchmark kind")
        for message in benchSamples {
            let frame = try BenchControlCodec.encode(message)
            XCTAssertEqual(try BenchControlCodec.decode(frame), message)
            // The cluster's header: magic, version, the kind (256 and up), generation 0, the payload's length.
            let header = try frame.withUnsafeBytes { try WireHeader.decode($0) }
            XCTAssertEqual(header, WireHeader(kind: message.kind, generation: 0, payloadLength: frame.count - WireHeader.byteCount))
            XCTAssertGreaterThanOrEqual(message.kind.rawValue, 256)
        }
        // Every message a rank sends names it; the launcher's do not.
        XCTAssertEqual(benchSamples.filter { $0.rank == nil }.map(\.kind),
                       [.benchRing, .benchRing, .benchGo, .benchTrainWindow, .benchTrainWindow, .benchWeightsChecksums, .benchWeightsChecksums])
    }

    /// Kinds are numbers on the wire: the benchmark family starts at 256 and never moves.
    func testBenchKindsAreFixed() throws {
        XCTAssertEqual(WireKind.allCases.filter(\.isBenchControl).map(\.rawValue), Array(256 ... 267))
        XCTAssertEqual(Array(try BenchControlCodec.encode(.ready(rank: 5))),
                       [0x43, 0x46, 0x4B, 0x57, 4, 0, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0])
    }

    func testEveryTruncationIsRejected() throws {
        for message in benchSamples {
            let frame = try BenchControlCodec.encode(message)
            for cut in 0 ..< frame.count {
                let prefix = Array(frame[0 ..< cut])
                XCTAssertThrowsError(try BenchControlCodec.decode(prefix), "\(message) cut at \(cut)") {
                    if cut < WireHeader.byteCount {
                        XCTAssertEqual($0 as? WireError, .truncated(field: "header", needed: 20, available: cut))
                    } else {
                        XCTAssertEqual($0 as? WireError, .lengthMismatch(declared: frame.count - 20, actual: cut - 20))
                    }
                }
                // The same cut with the header's length made consistent: a truncated field, named.
                if cut >= WireHeader.byteCount {
                    XCTAssertThrowsError(try BenchControlCodec.decode(patchedLength(prefix, payloadLength: cut - 20)), "\(message) cut at \(cut)") {
                        guard case .truncated(let field, _, _)? = $0 as? WireError else { return XCTFail("\(message) cut \(cut): \($0)") }
                        XCTAssertFalse(field.isEmpty)
                    }
                }
            }
        }
        // Bytes after the last field.
        let frame = try BenchControlCodec.encode(.agreed(rank: 1))
        XCTAssertThrowsError(try BenchControlCodec.decode(patchedLength(frame + [0], payloadLength: 5))) {
            XCTAssertEqual($0 as? WireError, .trailingBytes(kind: "benchAgreed", count: 1))
        }
    }

    /// A cluster frame is no benchmark message, and a benchmark frame no cluster message.
    func testEachCodecRefusesTheOtherFamily() throws {
        for message in samples {
            XCTAssertThrowsError(try BenchControlCodec.decode(try WireCodec.encode(message, generation: 0))) {
                guard case .wrongKind(message.kind, let expected)? = $0 as? WireError else { return XCTFail("\(message.kind): \($0)") }
                XCTAssertEqual(expected, "a benchmark rank's control message (kind 256 and up)")
            }
        }
        for message in benchSamples {
            XCTAssertThrowsError(try WireCodec.decode(try BenchControlCodec.encode(message))) {
                XCTAssertEqual($0 as? WireError, .wrongKind(found: message.kind, expected: "a cluster control message (kind 1...255)"))
            }
        }
        XCTAssertEqual(WireError.wrongKind(found: .benchGo, expected: "a cluster control message (kind 1...255)").description,
                       "message kind benchGo (259): expected a cluster control message (kind 1...255)")
        // An unassigned number in the benchmark range is unknown, as in the cluster's.
        var frame = try BenchControlCodec.encode(.go)
        frame[6] = 0xFF; frame[7] = 0x01
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) { XCTAssertEqual($0 as? WireError, .unknownKind(found: 0x01FF)) }
    }

    func testOversizedCountsAndInvalidFieldsAreRefusedByName() throws {
        // 4 billion repetitions' times: refused before anything is read or allocated.
        var frame = try BenchControlCodec.encode(.allReduceTimes(.init(rank: 0, sizeIndex: 0, cpuSeconds: 0, seconds: [1])))
        frame.replaceSubrange(36 ..< 40, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "allReduceTimes.seconds", found: Int(UInt32.max), maximum: 100_000))
        }
        // A million checksums.
        frame = try BenchControlCodec.encode(.weightsChecksums([1]))
        frame.replaceSubrange(20 ..< 24, with: [0x40, 0x42, 0x0F, 0x00])
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "weightsChecksums", found: 1_000_000, maximum: 1024))
        }
        // A rank beyond the ring's bound; a failure text claiming 4 GiB.
        frame = try BenchControlCodec.encode(.hello(rank: 1, endpoint: "e", publicKey: nil))
        frame[21] = 0x04
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "hello.rank", found: 1025, maximum: 1023))
        }
        frame = try BenchControlCodec.encode(.failed(rank: 1, message: "x"))
        frame.replaceSubrange(24 ..< 28, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "failed.message.length", found: Int(UInt32.max), maximum: 4096))
        }
        // Times that are not finite seconds >= 0, a window of no steps, a non-zero generation.
        for bad in [Double.nan, -1, .infinity] {
            frame = try BenchControlCodec.encode(.windowTimes(.init(rank: 0, index: 0, steps: 1, seconds: 1, computeSeconds: 0, reduceSeconds: 0, cpuSeconds: 0)))
            withUnsafeBytes(of: bad.bitPattern.littleEndian) { frame.replaceSubrange(32 ..< 40, with: $0) }
            XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
                guard case .invalidValue(field: "windowTimes.seconds", expected: "a finite number of seconds >= 0", _)? = $0 as? WireError else { return XCTFail("\($0)") }
            }
        }
        frame = try BenchControlCodec.encode(.warmedUp(rank: 0, secondsPerStep: 1))
        frame.replaceSubrange(24 ..< 32, with: [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "warmedUp.secondsPerStep", expected: "a finite number of seconds > 0", found: "0.0"))
        }
        frame = try BenchControlCodec.encode(.trainWindow(steps: 1))
        frame[20] = 0
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "trainWindow.steps", expected: "1...16777216", found: "0"))
        }
        frame = try BenchControlCodec.encode(.go)
        frame[8] = 7
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "header.generation", expected: "0 (benchmark ranks have no membership)", found: "7"))
        }
        // An optional's presence byte other than 0 or 1.
        frame = try BenchControlCodec.encode(.hello(rank: 1, endpoint: "e", publicKey: nil))
        frame[frame.count - 1] = 2
        XCTAssertThrowsError(try BenchControlCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "hello.publicKey.present", expected: "0 or 1", found: "2"))
        }
    }

    func testEncoderRefusesWhatTheDecoderWould() {
        XCTAssertThrowsError(try BenchControlCodec.encode(.ready(rank: 1024))) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "ready.rank", found: 1024, maximum: 1023))
        }
        XCTAssertThrowsError(try BenchControlCodec.encode(.failed(rank: 0, message: String(repeating: "é", count: 2049)))) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "failed.message", found: 4098, maximum: 4096))
        }
        XCTAssertThrowsError(try BenchControlCodec.encode(.trainWindow(steps: 0)))
        XCTAssertThrowsError(try BenchControlCodec.encode(.warmedUp(rank: 0, secondsPerStep: 0)))
        XCTAssertThrowsError(try BenchControlCodec.encode(.allReduceTimes(.init(rank: 0, sizeIndex: 0, cpuSeconds: 0, seconds: [.nan])))) {
            guard case .invalidValue(field: "allReduceTimes.seconds", _, _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try BenchControlCodec.encode(.weightsChecksums(Array(repeating: 0, count: 1025))))
    }

    /// Mutated valid frames (boundary integers over every field, cuts, splices, flips): a
    /// `WireError` or a canonical frame, never a trap.
    func testMutatedFramesNeverTrapAndAcceptedOnesAreCanonical() throws {
        let valid = try benchSamples.map { try BenchControlCodec.encode($0) }
        var accepted = 0, refusals: Set<String> = []
        fuzz("bench-control", seed: 0xBE7C, iterations: 50_000) { _, m in
            let original = valid[m.index(valid.count)]
            let fields = [4, 6, 8, 16] + Array(stride(from: 20, to: min(original.count, 60), by: 4))
            let frame = m.mutate(original, donors: valid, fields: fields)
            do {
                let message = try BenchControlCodec.decode(frame)
                XCTAssertEqual(try BenchControlCodec.encode(message), frame, "accepted frames are canonical")
                accepted += 1
            } catch {
                refusals.insert(String("\(error)".prefix { $0 != ":" && $0 != " " }))
            }
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertGreaterThan(refusals.count, 5, "\(refusals)")
    }
}

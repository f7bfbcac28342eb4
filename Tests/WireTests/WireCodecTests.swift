import XCTest
import Coordination
import Randomness
@testable import Wire

final class WireCodecTests: XCTestCase {
    func testEveryKindRoundTrips() throws {
        XCTAssertEqual(Set(samples.map(\.kind)), Set(WireKind.allCases.filter { !$0.isBenchControl }), "a sample of every cluster kind")
        for message in samples {
            let frame = try WireCodec.encode(message, generation: 5)
            let (header, decoded) = try WireCodec.decode(frame)
            XCTAssertEqual(decoded, message)
            XCTAssertEqual(header.kind, message.kind)
            XCTAssertEqual(header.generation, message.ownGeneration ?? 5)
            XCTAssertEqual(header.payloadLength, frame.count - WireHeader.byteCount)
            // The raw-pointer entry point agrees.
            let viaPointer = try frame.withUnsafeBytes { try WireCodec.decode($0) }
            XCTAssertEqual(viaPointer.message, message)
        }
    }

    func testHeaderLayoutIsLittleEndianAndFixed() throws {
        let frame = try WireCodec.encode(.heartbeat(sequence: 0x0102_0304_0506_0708), generation: 0x1122_3344_5566_7788)
        XCTAssertEqual(frame, [0x43, 0x46, 0x4B, 0x57,  4, 0,  7, 0,
                               0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  8, 0, 0, 0,
                               8, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(Array("CFKW".utf8), Array(frame[0 ..< 4]))
    }

    func testEveryTruncationIsRejected() throws {
        var checked = 0
        for message in samples {
            let frame = try WireCodec.encode(message, generation: 3)
            for cut in 0 ..< frame.count {
                let prefix = Array(frame[0 ..< cut])
                do {
                    _ = try WireCodec.decode(prefix)
                    XCTFail("\(message.kind) cut at \(cut) of \(frame.count) decoded")
                } catch {
                    if cut < WireHeader.byteCount {
                        XCTAssertEqual(error, .truncated(field: "header", needed: 20, available: cut))
                    } else {
                        XCTAssertEqual(error, .lengthMismatch(declared: frame.count - 20, actual: cut - 20))
                    }
                }
                // The same cut with the header's length made consistent: a truncated field.
                if cut >= WireHeader.byteCount {
                    do {
                        _ = try WireCodec.decode(patchedLength(prefix, payloadLength: cut - 20))
                        XCTFail("\(message.kind) payload cut at \(cut - 20) decoded")
                    } catch {
                        guard case .truncated = error else { return XCTFail("\(message.kind) cut \(cut): \(error)") }
                    }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 1000)
    }

    /// Evaluation results are typed: a score out of its range (or not a number) is refused by
    /// name, and an undefined AUC travels as absent, not as a made-up 0.5.
    func testEvaluationScoresAreCheckedAndAnUndefinedAUCStaysUndefined() throws {
        for (accuracy, auc) in [(Double.nan, 0.5), (1.5, 0.5), (-0.1, 0.5), (0.5, 2.0), (0.5, -.infinity)] {
            let frame = try WireCodec.encode(.evaluationResult(EvaluationResult(step: 1, validation: .init(loss: 0.1, accuracy: accuracy, f1: 0.5, auc: auc))),
                                             generation: 0)
            XCTAssertThrowsError(try WireCodec.decode(frame), "accuracy \(accuracy), auc \(auc)") {
                guard case .invalidValue(let field, _, _)? = $0 as? WireError else { return XCTFail("\($0)") }
                XCTAssertTrue(field.hasPrefix("evaluationResult.validation."), field)
            }
        }
        let undefined = EvaluationResult(step: 4, validation: .init(loss: 0.3, accuracy: 0.9, f1: 0.8, auc: nil))
        let decoded = try WireCodec.decode(WireCodec.encode(.evaluationResult(undefined), generation: 0)).message
        XCTAssertEqual(decoded, .evaluationResult(undefined))
    }

    func testHeaderErrorsSayExpectedAndFound() throws {
        let frame = try WireCodec.encode(.leave(reason: "bye"), generation: 1)
        var bad = frame; bad[0] = 0x58
        XCTAssertThrowsError(try WireCodec.decode(bad)) {
            XCTAssertEqual($0 as? WireError, .badMagic(expected: WireHeader.magic, found: 0x574B_4658))
        }
        bad = frame; bad[4] = 1
        XCTAssertThrowsError(try WireCodec.decode(bad)) {
            XCTAssertEqual($0 as? WireError, .unsupportedVersion(expected: 4, found: 1))
            XCTAssertEqual(($0 as? WireError)?.description, "unsupported wire version: expected 4, found 1")
        }
        bad = frame; bad[6] = 0xFF; bad[7] = 0x7F
        XCTAssertThrowsError(try WireCodec.decode(bad)) { XCTAssertEqual($0 as? WireError, .unknownKind(found: 0x7FFF)) }
        bad = frame; bad[6] = 0
        XCTAssertThrowsError(try WireCodec.decode(bad)) { XCTAssertEqual($0 as? WireError, .unknownKind(found: 0)) }
        bad = patchedLength(frame, payloadLength: Int(UInt32.max))
        XCTAssertThrowsError(try WireCodec.decode(bad)) {
            XCTAssertEqual($0 as? WireError, .payloadTooLarge(declared: Int(UInt32.max), maximum: WireCodec.maximumPayloadBytes))
        }
        bad = frame + [0]
        XCTAssertThrowsError(try WireCodec.decode(bad)) { XCTAssertEqual($0 as? WireError, .lengthMismatch(declared: 7, actual: 8)) }
        bad = patchedLength(frame + [0], payloadLength: 8)
        XCTAssertThrowsError(try WireCodec.decode(bad)) { XCTAssertEqual($0 as? WireError, .trailingBytes(kind: "leave", count: 1)) }
    }

    func testAbsurdAndInvalidFieldsAreRejected() throws {
        // A string claiming 4 GiB.
        var frame = try WireCodec.encode(.leave(reason: "bye"), generation: 1)
        frame.replaceSubrange(20 ..< 24, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "leave.reason.length", found: Int(UInt32.max), maximum: 4096))
        }
        // A string of 4097 bytes is refused even when all bytes are there.
        var long = WireWriter(); long.string(String(repeating: "x", count: 4097))
        frame = patchedLength(Array(frame[0 ..< 20]) + long.bytes, payloadLength: long.bytes.count)
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "leave.reason.length", found: 4097, maximum: 4096))
        }
        // Invalid UTF-8.
        frame = try WireCodec.encode(.leave(reason: "ab"), generation: 1)
        frame[24] = 0xC3; frame[25] = 0x28
        XCTAssertThrowsError(try WireCodec.decode(frame)) { XCTAssertEqual($0 as? WireError, .invalidUTF8(field: "leave.reason")) }
        // An optional's presence byte other than 0 or 1.
        frame = try WireCodec.encode(.stop(.weightsDiverged(step: 1, majority: nil, minority: [])), generation: 1)
        frame[29] = 2
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "stop.majority.present", expected: "0 or 1", found: "2"))
        }
        // A ring claiming a million members.
        frame = try WireCodec.encode(samples.first { $0.kind == .assignment }!, generation: 1)
        frame.replaceSubrange(28 ..< 32, with: [0x40, 0x42, 0x0F, 0x00])
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "assignment.ring", found: 1_000_000, maximum: 1024))
        }
        // rank >= worldSize.
        frame = try WireCodec.encode(samples.first { $0.kind == .assignment }!, generation: 1)
        frame[20] = 3
        XCTAssertThrowsError(try WireCodec.decode(frame)) { guard case .invalidValue(field: "assignment", _, _)? = $0 as? WireError else { return XCTFail("\($0)") } }
        // A corrupted chunk byte fails its checksum; a chunk beyond its total is refused.
        let chunk = ByteChunk(step: 1, offset: 10, total: 16, bytes: [1, 2, 3, 4, 5, 6])
        frame = try WireCodec.encode(.dataChunk(chunk), generation: 1)
        frame[frame.count - 1] ^= 0x10
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            guard case .checksumMismatch(field: "dataChunk.bytes", expected: chunk.checksum, _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        frame = try WireCodec.encode(.dataChunk(ByteChunk(step: 1, offset: 11, total: 16, bytes: [1, 2, 3, 4, 5, 6])), generation: 1)
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            guard case .invalidValue(field: "dataChunk.offset", _, found: "11")? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        // Negative step.
        frame = try WireCodec.encode(.ready(completedSteps: -1), generation: 1)
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "ready.completedSteps", expected: "a value >= 0", found: "-1"))
        }
    }

    /// Sizes a receiver allocates from (whole transfers) and thread counts are bounded too.
    func testTransferSizesAndThreadCountsAreBounded() throws {
        let huge = UInt64(Int64.max) + 2
        // An offer of 2^63 bytes: the decoder refuses it before anyone sizes a buffer from it.
        var frame = try WireCodec.encode(.checkpointOffer(CheckpointOffer(step: 1, totalBytes: 8, checksum: 0)), generation: 1)
        withUnsafeBytes(of: huge.littleEndian) { frame.replaceSubrange(28 ..< 36, with: $0) }
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            XCTAssertEqual($0 as? WireError, .invalidValue(field: "checkpointOffer.totalBytes", expected: "at most 17179869184 bytes", found: String(huge)))
        }
        XCTAssertThrowsError(try WireCodec.encode(.checkpointOffer(CheckpointOffer(step: 1, totalBytes: huge, checksum: 0))))
        var info = RunInfo(configuration: [1], dataBytes: 10, dataDigest: 0)
        frame = try WireCodec.encode(.runInfo(info), generation: 1)
        withUnsafeBytes(of: UInt64.max.littleEndian) { frame.replaceSubrange(25 ..< 33, with: $0) }
        XCTAssertThrowsError(try WireCodec.decode(frame)) {
            guard case .invalidValue(field: "runInfo.dataBytes", _, _)? = $0 as? WireError else { return XCTFail("\($0)") }
        }
        info.dataBytes = huge
        XCTAssertThrowsError(try WireCodec.encode(.runInfo(info)))
        XCTAssertThrowsError(try WireCodec.encode(.dataChunk(ByteChunk(step: 0, offset: 0, total: huge, bytes: [1]))))
        // A join announcing 4 billion compute threads.
        let join = samples.first { $0.kind == .join }!
        guard case .join(var request) = join else { return XCTFail() }
        request.computeThreads = WireCodec.maximumComputeThreads + 1
        XCTAssertThrowsError(try WireCodec.encode(.join(request))) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "join.computeThreads", found: 4097, maximum: 4096))
        }
    }

    func testEncoderRefusesWhatTheDecoderWould() {
        XCTAssertThrowsError(try WireCodec.encode(.leave(reason: String(repeating: "é", count: 2049)))) {
            XCTAssertEqual($0 as? WireError, .lengthOutOfRange(field: "leave.reason", found: 4098, maximum: 4096))
        }
        XCTAssertThrowsError(try WireCodec.encode(.dataChunk(ByteChunk(step: 0, offset: 0, total: 9 << 20, bytes: Array(repeating: 0, count: (8 << 20) + 1)))))
        XCTAssertNoThrow(try WireCodec.encode(.dataChunk(ByteChunk(step: 0, offset: 0, total: 8 << 20, bytes: Array(repeating: 0, count: 8 << 20)))))
    }

    /// About two seconds of random frames and mutated valid frames. The decoder must never trap,
    /// and whatever it accepts must re-encode to the very same bytes (it accepts canonical frames only).
    func testFuzzedFramesNeverCrashAndAcceptedOnesAreCanonical() throws {
        var rng = SplitMix64(seed: 20_240_611, stream: "wire-fuzz")
        let valid = try samples.map { try WireCodec.encode($0, generation: 9) }
        let deadline = ContinuousClock.now + .seconds(2)
        var tried = 0, accepted = 0
        var errorKinds: Set<String> = []
        while ContinuousClock.now < deadline {
            for _ in 0 ..< 200 {
                var frame: [UInt8]
                switch rng.nextIndex(below: 4) {
                case 0:   // random bytes, sometimes behind a plausible header
                    frame = (0 ..< rng.nextIndex(below: 120)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    if rng.nextIndex(below: 2) == 0 {
                        let kind = UInt16(rng.nextIndex(below: 20))
                        var header = WireWriter()
                        header.u32(WireHeader.magic); header.u16(1); header.u16(kind); header.u64(rng.next())
                        header.u32(UInt32(frame.count))
                        frame = header.bytes + frame
                    }
                case 1:   // flip a few bytes of a valid frame, keep its length
                    frame = valid[rng.nextIndex(below: valid.count)]
                    for _ in 0 ... rng.nextIndex(below: 4) {
                        frame[rng.nextIndex(below: frame.count)] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                    }
                case 2:   // cut or extend a valid payload and make the header agree
                    frame = valid[rng.nextIndex(below: valid.count)]
                    if rng.nextIndex(below: 2) == 0 {
                        frame.removeLast(rng.nextIndex(below: frame.count - 19))
                    } else {
                        frame += (0 ..< 1 + rng.nextIndex(below: 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    }
                    frame = patchedLength(frame, payloadLength: frame.count - 20)
                default:  // overwrite one payload word with an extreme value (lengths, counts, tags)
                    frame = valid[rng.nextIndex(below: valid.count)]
                    if frame.count > 24 {
                        let at = 20 + rng.nextIndex(below: frame.count - 23)
                        let extremes: [UInt32] = [0, 1, 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 4096, 4097, 1024, 1025]
                        let v = extremes[rng.nextIndex(below: extremes.count)]
                        withUnsafeBytes(of: v.littleEndian) { for i in 0 ..< 4 { frame[at + i] = $0[i] } }
                    }
                }
                tried += 1
                do {
                    let (header, message) = try WireCodec.decode(frame)
                    accepted += 1
                    XCTAssertEqual(try WireCodec.encode(message, generation: header.generation), frame, "\(message.kind)")
                } catch {
                    errorKinds.insert(caseName(error))
                }
            }
        }
        XCTAssertGreaterThan(tried, 1000)
        XCTAssertGreaterThan(accepted, 0, "some mutations stay valid (e.g. a changed loss value)")
        XCTAssertTrue(errorKinds.isSuperset(of: ["truncated", "badMagic", "unknownKind", "lengthMismatch", "lengthOutOfRange", "invalidValue"]),
                      "the fuzzer reaches the decoder's checks: \(errorKinds.sorted())")
        print("wire fuzz: \(tried) frames, \(accepted) accepted, errors seen: \(errorKinds.sorted())")
    }
}

private func caseName(_ error: WireError) -> String {
    switch error {
    case .truncated: "truncated"
    case .badMagic: "badMagic"
    case .unsupportedVersion: "unsupportedVersion"
    case .unknownKind: "unknownKind"
    case .wrongKind: "wrongKind"
    case .payloadTooLarge: "payloadTooLarge"
    case .lengthMismatch: "lengthMismatch"
    case .lengthOutOfRange: "lengthOutOfRange"
    case .invalidValue: "invalidValue"
    case .invalidUTF8: "invalidUTF8"
    case .trailingBytes: "trailingBytes"
    case .checksumMismatch: "checksumMismatch"
    }
}

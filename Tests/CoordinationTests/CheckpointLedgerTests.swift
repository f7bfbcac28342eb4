import Checksums
@testable import Coordination
import XCTest

/// The coordinator's checkpoints without sockets, files or threads: a fake clock, uploads fed
/// range by range, the shell's side played by the test (verify, write, written).
final class CheckpointLedgerTests: XCTestCase {
    /// Bytes standing for a checkpoint of `step`.
    func checkpoint(_ step: Int, count: Int = 2500) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ step) }
    }

    func offer(_ bytes: [UInt8], step: Int) -> CheckpointOffer {
        CheckpointOffer(step: step, totalBytes: UInt64(bytes.count), checksum: XXH64.hash(bytes))
    }

    func requests(_ directives: [CheckpointLedger.Directive]) -> [(PeerID, ByteRangeRequest)] {
        directives.compactMap { if case .request(let p, let r) = $0 { (p, r) } else { nil } }
    }

    /// Answers every request in `directives` from `bytes`, as the uploading worker does; returns
    /// what the ledger said to the last answer.
    func answer(_ directives: [CheckpointLedger.Directive], with bytes: [UInt8], ledger: inout CheckpointLedger, now: Double) -> [CheckpointLedger.Directive] {
        var out: [CheckpointLedger.Directive] = []
        for (peer, range) in requests(directives) {
            out = ledger.onChunk(ByteChunk(of: bytes, step: range.step, offset: range.offset, length: range.length), from: peer, now: now)
        }
        return out
    }

    func testAnUploadThatMeetsItsAgreementIsVerifiedQueuedWrittenAndServed() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10, uploadChunkBytes: 1000)
        let bytes = checkpoint(10)
        let asks = ledger.onOffer(offer(bytes, step: 10), from: peer(0), now: 0)
        XCTAssertEqual(requests(asks).map(\.1.offset), [0, 1000, 2000], "ranges of the upload chunk size, within the window")
        XCTAssertEqual(requests(asks).map(\.1.length), [1000, 1000, 500])
        XCTAssertTrue(ledger.awaits(completedSteps: 10, latest: nil))
        XCTAssertEqual(answer(asks, with: bytes, ledger: &ledger, now: 1), [], "complete, but the ranks have not agreed yet")

        XCTAssertEqual(ledger.onWeightsAgree(step: 10, checksum: 77), [.verify(step: 10, bytes: bytes, agreedChecksum: 77)])
        // The shell rewrites the header (the run's bookkeeping): what it verified is what is written.
        let verified = bytes + [1, 2, 3]
        XCTAssertEqual(ledger.onVerified(step: 10, bytes: verified), [.write(step: 10, bytes: verified)])
        XCTAssertEqual(ledger.writingStep, 10)
        XCTAssertFalse(ledger.writesDone)
        XCTAssertTrue(ledger.awaits(completedSteps: 10, latest: nil), "on its way until on disk")
        XCTAssertNil(ledger.chunk(for: ByteRangeRequest(step: 10, offset: 0, length: 100)), "nothing served before the write")

        XCTAssertEqual(ledger.onWritten(step: 10), [.written(offer(verified, step: 10))], "one digest: of the bytes written and served")
        XCTAssertTrue(ledger.writesDone)
        XCTAssertFalse(ledger.awaits(completedSteps: 10, latest: 10))
        XCTAssertEqual(ledger.servedOffer, offer(verified, step: 10))
        XCTAssertEqual(ledger.chunk(for: ByteRangeRequest(step: 10, offset: 2500, length: 100))?.bytes, [1, 2, 3], "clamped to the end")
    }

    func testAnAgreementBeforeTheUploadCompletesWaitsForIt() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10, uploadChunkBytes: 1000)
        let bytes = checkpoint(20)
        let asks = ledger.onOffer(offer(bytes, step: 20), from: peer(0), now: 0)
        XCTAssertEqual(ledger.onWeightsAgree(step: 20, checksum: 5), [], "the upload is still being pulled")
        XCTAssertEqual(ledger.onWeightsAgree(step: 19, checksum: 5), [], "no upload of that step: nothing to verify, nothing kept")
        XCTAssertEqual(answer(asks, with: bytes, ledger: &ledger, now: 1), [.verify(step: 20, bytes: bytes, agreedChecksum: 5)])
        XCTAssertEqual(ledger.onWeightsAgree(step: 20, checksum: 5), [], "verified once")
    }

    /// The offer's digest is checked once, over the whole upload: a damaged one is never verified,
    /// and an agreement never meets it.
    func testADamagedUploadIsLoggedAndNeverWritten() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10)
        let bytes = checkpoint(10)
        var claimed = offer(bytes, step: 10)
        claimed.checksum ^= 1
        let asks = ledger.onOffer(claimed, from: peer(0), now: 0)
        let said = answer(asks, with: bytes, ledger: &ledger, now: 1)
        guard case .log(.error, let text)? = said.first else { return XCTFail("\(said)") }
        XCTAssertTrue(text.contains("step 10 arrived damaged"), text)
        XCTAssertEqual(ledger.onWeightsAgree(step: 10, checksum: 5), [])
        XCTAssertFalse(ledger.awaits(completedSteps: 10, latest: nil))
    }

    /// Ranks that disagree on the weights never produce an agreement (the state machine stops the
    /// run instead): rank 0's upload of that step waits, and gives way to newer ones.
    func testDisagreeingChecksumsNeverConsolidateAnUpload() {
        var h = Harness(min: 2, max: 2, totalSteps: 100)
        h.join(0)
        h.join(1)
        _ = h.allReady(completed: 0)
        var ledger = CheckpointLedger(stepsPerEpoch: 10)
        let bytes = checkpoint(10)
        _ = answer(ledger.onOffer(offer(bytes, step: 10), from: peer(0), now: 0), with: bytes, ledger: &ledger, now: 0)
        for s in 0..<9 { h.allReport(step: s) }
        let g = h.state.generation
        h.report(0, report(g, step: 9, checksum: 1))
        let directives = h.report(1, report(g, step: 9, checksum: 2))
        XCTAssertFalse(directives.contains { if case .weightsAgree = $0 { true } else { false } }, "\(directives)")
        XCTAssertTrue(directives.contains { if case .stop(.weightsDiverged, _) = $0 { true } else { false } }, "\(directives)")
        XCTAssertTrue(ledger.awaits(completedSteps: 10, latest: nil), "complete, waiting for an agreement that never comes")
        // Only the newest uploads wait for their agreement.
        for step in [20, 30] {
            let b = checkpoint(step)
            _ = answer(ledger.onOffer(offer(b, step: step), from: peer(0), now: 1), with: b, ledger: &ledger, now: 1)
        }
        XCTAssertFalse(ledger.awaits(completedSteps: 10, latest: nil))
        XCTAssertEqual(ledger.onWeightsAgree(step: 10, checksum: 1), [])
    }

    func testAnUploadIsAbandonedWhenItsPeerDies() {
        var h = Harness(min: 1, max: 2, heartbeatTimeout: 10, totalSteps: 100)
        h.join(0)
        _ = h.allReady(completed: 0)
        var ledger = CheckpointLedger(stepsPerEpoch: 10, uploadChunkBytes: 1000)
        let bytes = checkpoint(10)
        let asks = ledger.onOffer(offer(bytes, step: 10), from: peer(0), now: 0)
        _ = ledger.onChunk(ByteChunk(of: bytes, step: 10, offset: 0, length: 1000), from: peer(0), now: 1)
        XCTAssertEqual(ledger.uploaders, [peer(0)])
        // Rank 0 goes silent: the state machine declares it dead, the shell tells the ledger.
        h.now = 30
        for d in h.tick() {
            if case .memberDead(_, _, _, let p, _) = d { ledger.onPeerGone(p) }
        }
        XCTAssertEqual(ledger.uploaders, [])
        XCTAssertFalse(ledger.awaits(completedSteps: 10, latest: nil), "a stop no longer waits for it")
        XCTAssertEqual(answer(asks, with: bytes, ledger: &ledger, now: 31), [], "late ranges are dropped")
        XCTAssertEqual(ledger.onWeightsAgree(step: 10, checksum: 5), [])
        XCTAssertEqual(ledger.onTick(now: 60), [], "nothing is asked for any more")
    }

    /// A lost range is asked for again after the stall time; progress is said every few seconds.
    func testLostRangesAreAskedForAgainAndProgressIsReported() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10, progressInterval: 5, uploadChunkBytes: 1000)
        let bytes = checkpoint(10)
        _ = ledger.onOffer(offer(bytes, step: 10), from: peer(0), now: 0)
        _ = ledger.onChunk(ByteChunk(of: bytes, step: 10, offset: 0, length: 1000), from: peer(0), now: 1)
        XCTAssertEqual(ledger.onTick(now: 2), [])
        let later = ledger.onTick(now: 12)
        XCTAssertEqual(requests(later).map(\.1.offset), [1000, 2000], "asked again from the first missing byte")
        XCTAssertTrue(later.contains(.uploadProgress(peer(0), step: 10, received: 1000, total: 2500, bytesPerSecond: 1000 / 12)), "\(later)")
    }

    func testServedRangesAreClampedAndAnOlderStepStartsOver() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10, maximumChunkBytes: 1000)
        let bytes = checkpoint(30)
        ledger.serve(step: 30, bytes: bytes)
        let chunk = ledger.chunk(for: ByteRangeRequest(step: 30, offset: 500, length: 4000))
        XCTAssertEqual(chunk?.offset, 500)
        XCTAssertEqual(chunk?.bytes, Array(bytes[500..<1500]), "at most maximumChunkBytes")
        XCTAssertEqual(chunk?.total, 2500)
        XCTAssertEqual(chunk?.checksum, XXH64.hash(Array(bytes[500..<1500])))
        let stale = ledger.chunk(for: ByteRangeRequest(step: 20, offset: 700, length: 100))
        XCTAssertEqual(stale?.step, 30, "the newest checkpoint, under its own step")
        XCTAssertEqual(stale?.offset, 0, "from its start")
    }

    /// After a membership change a rank that fell behind gets the state source's upload: offered
    /// to it, served to it, and never written as a checkpoint.
    func testAStateTransferIsOfferedAndServedToTheJoiningPeer() {
        var h = Harness(min: 1, max: 2, totalSteps: 1000)
        h.join(0)
        _ = h.allReady(completed: 0)
        for s in 0..<40 { h.allReport(step: s) }
        h.join(1)
        h.allReport(step: 40)  // the step boundary admits the joiner
        var ledger = CheckpointLedger(stepsPerEpoch: 10, uploadChunkBytes: 1000)
        ledger.serve(step: 30, bytes: checkpoint(30))
        var start: StartTraining?
        for p in h.state.memberPeers {
            for d in h.record(h.state.onReady(peer: p, generation: h.state.generation, completedSteps: p == peer(0) ? 41 : 0, now: h.now)) {
                if case .startTraining(let s, let peers) = d {
                    start = s
                    ledger.onTransfer(step: s.startStep, to: s.needsState.map { peers[$0] })
                }
            }
        }
        XCTAssertEqual(start?.startStep, 41)
        XCTAssertEqual(start?.needsState, [1])
        let state = checkpoint(41)
        let said = answer(ledger.onOffer(offer(state, step: 41), from: peer(0), now: 0), with: state, ledger: &ledger, now: 1)
        XCTAssertEqual(said, [.offer(offer(state, step: 41), to: [peer(1)])])
        XCTAssertEqual(ledger.chunk(for: ByteRangeRequest(step: 41, offset: 0, length: 10_000))?.bytes, state)
        XCTAssertEqual(ledger.chunk(for: ByteRangeRequest(step: 30, offset: 0, length: 1))?.step, 30, "the checkpoint is still served beside it")
        XCTAssertEqual(ledger.onWeightsAgree(step: 41, checksum: 3), [], "a transfer is not a checkpoint")
        XCTAssertTrue(ledger.writesDone)
    }

    /// The loop never waits for the disk while a mid-epoch checkpoint can be dropped instead;
    /// a queue of epoch ends makes it wait for the write under way.
    func testADiskThatFallsBehindDropsMidEpochCheckpointsThenWaits() {
        var ledger = CheckpointLedger(stepsPerEpoch: 10, queueCapacity: 1)
        XCTAssertEqual(ledger.onVerified(step: 5, bytes: [5]), [.write(step: 5, bytes: [5])])
        XCTAssertEqual(ledger.onVerified(step: 7, bytes: [7]), [])
        XCTAssertEqual(ledger.onVerified(step: 10, bytes: [10]),
                       [.log(.warning, "checkpoint of step 7 not written: the disk is behind (step 10 is consolidated already)")])
        XCTAssertEqual(ledger.onVerified(step: 20, bytes: [20]), [.awaitWriter(step: 5)], "10 and 20 close epochs: wait")
        XCTAssertEqual(ledger.onWritten(step: 5), [.written(offer([5], step: 5)), .write(step: 10, bytes: [10])])
        XCTAssertEqual(ledger.onWritten(step: 10), [.written(offer([10], step: 10)), .write(step: 20, bytes: [20])])
        XCTAssertEqual(ledger.onWritten(step: 99), [], "not the write under way")
        XCTAssertTrue(ledger.awaits(completedSteps: 20, latest: 10))
        XCTAssertEqual(ledger.onWritten(step: 20), [.written(offer([20], step: 20))])
        XCTAssertTrue(ledger.writesDone)
    }
}

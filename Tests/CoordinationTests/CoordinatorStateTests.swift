import XCTest
@testable import Coordination

final class CoordinatorStateTests: XCTestCase {
    func testRendezvousStartsAtMinimumAndAdmitsUpToMaximumAtStepBoundary() {
        var h = Harness(min: 2, max: 4)
        let first = h.join(0)
        XCTAssertTrue(first.contains(.admit(peer(0), Admission(role: .worker, waitsForStepBoundary: false))))
        XCTAssertTrue(first.contains(.waitingForWorkers(have: 1, need: 2)))
        XCTAssertTrue(assignments(first).isEmpty)

        let second = assignments(h.join(1))
        XCTAssertEqual(h.state.generation, 1)
        XCTAssertEqual(second[peer(0)]?.rank, 0)
        XCTAssertEqual(second[peer(1)]?.rank, 1)
        XCTAssertEqual(second[peer(1)]?.worldSize, 2)
        XCTAssertEqual(second[peer(0)]?.ring.map(\.endpoint), ["tcp://10.0.0.0:5600", "tcp://10.0.0.1:5600"])
        XCTAssertEqual(second[peer(0)]?.successor.nodeID, "node-1")
        XCTAssertEqual(h.state.phase, .forming(generation: 1))

        XCTAssertTrue(h.ready(0, completed: 0).isEmpty, "start waits for every member")
        let start = h.allReady(completed: 0)
        XCTAssertEqual(start, StartTraining(generation: 1, startStep: 0, stateSource: nil, needsState: []))
        XCTAssertEqual(h.state.phase, .training(generation: 1))

        // Two more join while training: admitted, but wait for the step boundary.
        XCTAssertTrue(h.join(2).contains(.admit(peer(2), Admission(role: .worker, waitsForStepBoundary: true))))
        h.join(3)
        XCTAssertEqual(h.state.worldSize, 2)
        let fifth = refusals(h.join(4))
        XCTAssertEqual(fifth.first?.mismatches.first?.field, "workers")

        h.report(0, report(1, step: 0))
        XCTAssertTrue(assignments(h.all).count == 2, "no new generation until every rank finished the step")
        let boundary = h.report(1, report(1, step: 0))
        XCTAssertEqual(summaries(boundary).map(\.step), [0])
        let third = assignments(boundary)
        XCTAssertEqual(h.state.generation, 2)
        XCTAssertEqual((0 ..< 4).map { third[peer($0)]?.rank }, [0, 1, 2, 3], "ranks in join order")
        XCTAssertEqual(third[peer(3)]?.ring.map(\.nodeID), ["node-0", "node-1", "node-2", "node-3"])

        // Old members hold 1 step, the joiners none: they copy from rank 0.
        h.ready(0, completed: 1); h.ready(1, completed: 1); h.ready(2, completed: 0)
        let s = h.ready(3, completed: 0).compactMap { if case .startTraining(let s, let to) = $0 { (s, to) } else { nil } }
        XCTAssertEqual(s.first?.0, StartTraining(generation: 2, startStep: 1, stateSource: 0, needsState: [2, 3]))
        XCTAssertEqual(s.first?.1, (0 ..< 4).map(peer))
    }

    func testEachMismatchedFieldIsRefusedWithBothValues() {
        let cases: [(String, (inout JoinRequest) -> Void, String)] = [
            ("version", { $0.version = "1.3.9" }, "version: coordinator has 1.4.0, worker has 1.3.9"),
            ("configDigest", { $0.configDigest = "def456" }, "configDigest: coordinator has abc123, worker has def456"),
            ("architectureDigest", { $0.architectureDigest = "cnn2d-d32" }, "architectureDigest: coordinator has cnn2d-d64, worker has cnn2d-d32"),
            ("parameterCount", { $0.parameterCount = 93_056 }, "parameterCount: coordinator has 93057, worker has 93056"),
            ("dataDigest", { $0.dataDigest = "data78" }, "dataDigest: coordinator has data77, worker has data78"),
        ]
        for (field, mutate, text) in cases {
            var h = Harness()
            var request = joinRequest(0)
            mutate(&request)
            let d = h.record(h.state.onJoin(peer: peer(0), request: request, now: 0))
            let refused = refusals(d)
            XCTAssertEqual(refused.count, 1, field)
            XCTAssertEqual(refused.first?.mismatches.map(\.field), [field])
            XCTAssertTrue(refused.first?.description.contains(text) ?? false, "\(refused.first?.description ?? "nil") lacks \(text)")
            XCTAssertEqual(h.state.worldSize, 0)
            XCTAssertEqual(h.state.pendingPeers, [])
        }
        // Several differences are all named.
        var h = Harness()
        var request = joinRequest(0)
        request.version = "0.9"; request.dataDigest = "other"
        XCTAssertEqual(refusals(h.state.onJoin(peer: peer(0), request: request, now: 0)).first?.mismatches.map(\.field),
                       ["version", "dataDigest"])
    }

    func testHeartbeatTimeoutDeclaresMemberDeadAndReformsRing() {
        var h = Harness(min: 2, max: 4, heartbeatTimeout: 10)
        h.join(0); h.join(1); h.join(2)     // min 2 reached at the second join; the third waits
        _ = h.allReady(completed: 0)
        h.allReport(step: 0)                // boundary: generation 2 with three ranks
        XCTAssertEqual(h.state.worldSize, 3)
        _ = h.allReady(completed: 1)
        for step in 1 ... 4 { h.now += 1; h.allReport(step: step) }

        // Ranks 0 and 2 keep heartbeating; rank 1 goes silent at t = 4.
        var dead: [(rank: Int, nodeID: String, reason: DeathReason)] = []
        var formed: [PeerID: Assignment] = [:]
        while dead.isEmpty && h.now < 100 {
            h.now += 0.5
            h.heartbeat(0); h.heartbeat(2)
            let d = h.tick()
            dead = deaths(d)
            formed = assignments(d)
        }
        XCTAssertEqual(dead.map(\.rank), [1])
        XCTAssertEqual(dead.first?.nodeID, "node-1")
        guard case .heartbeatTimeout(let silent)? = dead.first?.reason else { return XCTFail("reason \(String(describing: dead.first?.reason))") }
        XCTAssertGreaterThan(silent, 10)
        XCTAssertLessThanOrEqual(silent, 10.5)
        XCTAssertEqual(h.state.generation, 3)
        XCTAssertEqual(formed[peer(0)]?.rank, 0)
        XCTAssertEqual(formed[peer(2)]?.rank, 1, "survivors keep their order, ranks close up")
        XCTAssertEqual(formed[peer(2)]?.ring.map(\.nodeID), ["node-0", "node-2"])
        XCTAssertNil(formed[peer(1)])

        // Rank 0 finished step 5 before the ring broke, rank 1 (node-2) did not: it copies from rank 0.
        h.ready(0, completed: 6)
        let start = h.ready(2, completed: 5).compactMap { if case .startTraining(let s, _) = $0 { s } else { nil } }.first
        XCTAssertEqual(start, StartTraining(generation: 3, startStep: 6, stateSource: 0, needsState: [1]))

        // The dead peer's late heartbeat is answered with "join again".
        XCTAssertEqual(h.heartbeat(1), [.rejoin(peer(1))])
    }

    func testStaleGenerationReportsAndReadiesAreIgnored() {
        var h = Harness(min: 2, max: 3)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        h.join(2)
        h.allReport(step: 0)                // generation 2 forms
        XCTAssertEqual(h.state.generation, 2)
        // In-flight reports of generation 1 arrive late.
        XCTAssertTrue(h.report(0, report(1, step: 1)).isEmpty)
        XCTAssertTrue(h.report(1, report(1, step: 1)).isEmpty)
        XCTAssertTrue(h.ready(0, completed: 1, generation: 1).isEmpty)
        XCTAssertEqual(h.state.staleReportsIgnored, 3)
        _ = h.allReady(completed: 1)
        XCTAssertTrue(h.report(0, report(1, step: 1)).isEmpty)
        XCTAssertTrue(h.report(1, report(1, step: 1)).isEmpty)
        XCTAssertTrue(h.report(2, report(1, step: 1)).isEmpty)
        XCTAssertEqual(h.state.staleReportsIgnored, 6)
        XCTAssertTrue(summaries(h.all).map(\.step) == [0], "stale reports never complete a step")
        // A duplicate report of the current generation is counted separately.
        h.report(0, report(2, step: 1))
        h.report(0, report(2, step: 1))
        XCTAssertEqual(h.state.duplicateReportsIgnored, 1)
        h.report(1, report(2, step: 1))
        XCTAssertEqual(summaries(h.report(2, report(2, step: 1))).map(\.step), [1])
        h.report(2, report(2, step: 1))
        XCTAssertEqual(h.state.duplicateReportsIgnored, 2)
    }

    func testChecksumDisagreementStopsNamingMinorityRank() {
        var h = Harness(min: 3, max: 3)
        h.join(0); h.join(1); h.join(2)
        _ = h.allReady(completed: 0)
        let agree = h.allReport(step: 0, checksum: 0xAAAA)
        XCTAssertTrue(agree.contains(.weightsAgree(generation: 1, step: 0, checksum: 0xAAAA)))

        h.report(0, report(1, step: 1, checksum: 0xAAAA))
        h.report(1, report(1, step: 1, checksum: 0xBBBB))
        let d = h.report(2, report(1, step: 1, checksum: 0xAAAA))
        XCTAssertEqual(stops(d), [.weightsDiverged(step: 1, majority: 0xAAAA, minority: [.init(rank: 1, checksum: 0xBBBB)])])
        let text = stops(d).first!.description
        XCTAssertTrue(text.contains("rank 1 has 0x000000000000bbbb"), text)
        XCTAssertTrue(text.contains("majority has 0x000000000000aaaa"), text)
        XCTAssertTrue(text.contains("after step 2"), "the second step, as a person counts: \(text)")
        XCTAssertEqual(h.state.phase, .stopped)
        if case .stop(_, let notify)? = d.last { XCTAssertEqual(notify, [peer(0), peer(1), peer(2)]) } else { XCTFail() }
        XCTAssertTrue(h.join(5).contains { if case .refuse = $0 { true } else { false } })
    }

    func testEarlyStopFinishesEveryRankAtTheSameLaterStep() {
        var h = Harness(min: 2, max: 2, totalSteps: 100)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        for step in 0..<5 { h.allReport(step: step) }
        let d = h.record(h.state.onEarlyStop("no better val_accuracy for 2 evaluations", margin: 3, now: h.now))
        XCTAssertTrue(d.contains(.finishAfter(step: 7, notify: [peer(0), peer(1)])), "\(d)")
        XCTAssertTrue(h.record(h.state.onEarlyStop("again", now: h.now)).isEmpty, "a second request changes nothing")
        for step in 5..<7 { XCTAssertTrue(stops(h.allReport(step: step)).isEmpty, "step \(step) must not end the run") }
        XCTAssertEqual(stops(h.allReport(step: 7)), [.finished(step: 7)])
    }

    func testChecksumDisagreementWithoutMajorityNamesEveryRank() {
        var h = Harness(min: 2, max: 2)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        h.report(0, report(1, step: 0, checksum: 1))
        XCTAssertEqual(stops(h.report(1, report(1, step: 0, checksum: 2))),
                       [.weightsDiverged(step: 0, majority: nil, minority: [.init(rank: 0, checksum: 1), .init(rank: 1, checksum: 2)])])
    }

    func testBelowMinimumWaitsThenResumesWhenAWorkerJoins() {
        var h = Harness(min: 2, max: 3, belowMinimumTimeout: 60)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        h.allReport(step: 0)
        h.now = 5
        let left = h.leave(1)
        XCTAssertEqual(deaths(left).map(\.rank), [1])
        XCTAssertEqual(deaths(left).first?.reason, .left)
        XCTAssertTrue(left.contains(.waitingForWorkers(have: 1, need: 2)))
        XCTAssertEqual(h.state.phase, .waiting(since: 5))
        XCTAssertEqual(h.state.generation, 2, "waiting is a membership change too: old reports become stale")
        XCTAssertTrue(h.report(0, report(1, step: 1)).isEmpty)

        h.now = 30
        h.heartbeat(0)
        XCTAssertTrue(stops(h.tick()).isEmpty)
        let formed = assignments(h.join(3))
        XCTAssertEqual(h.state.generation, 3)
        XCTAssertEqual(formed[peer(3)]?.rank, 1)
        h.ready(3, completed: 0)
        let start = h.ready(0, completed: 1).compactMap { if case .startTraining(let s, _) = $0 { s } else { nil } }.first
        XCTAssertEqual(start, StartTraining(generation: 3, startStep: 1, stateSource: 0, needsState: [1]))
    }

    func testBelowMinimumTimeoutStops() {
        var h = Harness(min: 2, max: 3, heartbeatTimeout: 10, belowMinimumTimeout: 60)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        var stopped: [StopReason] = []
        while stopped.isEmpty && h.now < 1000 {
            h.now += 1
            h.heartbeat(0)          // rank 1 is silent
            stopped = stops(h.tick())
        }
        // Dead at t = 11 (> 10 s silent), stop after more than 60 s below the minimum.
        XCTAssertEqual(stopped, [.tooFewWorkers(have: 1, need: 2, waitedSeconds: 61)])
        XCTAssertEqual(h.now, 72)
        XCTAssertEqual(h.state.phase, .stopped)
        XCTAssertTrue(h.tick().isEmpty)
    }

    func testStartupTimeout() {
        var h = Harness(min: 3, max: 3, startupTimeout: 120)
        h.join(0)
        h.now = 119; h.heartbeat(0)
        XCTAssertTrue(stops(h.tick()).isEmpty)
        h.now = 121; h.heartbeat(0)
        XCTAssertEqual(stops(h.tick()), [.tooFewWorkers(have: 1, need: 3, waitedSeconds: 121)])
        var forever = Harness(min: 3, max: 3, startupTimeout: nil)
        forever.join(0)
        for t in 1 ... 1000 { forever.now = Double(t * 9); forever.heartbeat(0); forever.tick() }
        XCTAssertTrue(stops(forever.all).isEmpty)
    }

    func testEvaluatorIsTrackedSeparatelyAndTakesNoRank() {
        var h = Harness(min: 2, max: 2)
        let e = h.join(9, role: .evaluator)
        XCTAssertTrue(e.contains(.admit(peer(9), Admission(role: .evaluator, waitsForStepBoundary: false))))
        XCTAssertFalse(e.contains { if case .waitingForWorkers = $0 { true } else { false } })
        XCTAssertEqual(h.state.evaluatorPeers, [peer(9)])
        XCTAssertEqual(h.state.worldSize, 0)
        h.join(0)
        let formed = assignments(h.join(1))
        XCTAssertEqual(Set(formed.keys), [peer(0), peer(1)])
        XCTAssertEqual(formed[peer(0)]?.worldSize, 2)
        // An evaluator beyond maxEvaluators (1) is refused, even with the workers full.
        XCTAssertEqual(refusals(h.join(8, role: .evaluator)).first?.mismatches.first?.field, "evaluators")
        h.now = 11
        h.heartbeat(0); h.heartbeat(1); h.heartbeat(9)
        let d = h.tick()
        XCTAssertTrue(deaths(d).isEmpty)
        XCTAssertEqual(h.state.evaluatorPeers, [peer(9)])
        XCTAssertEqual(h.state.generation, 1)
        XCTAssertEqual(h.leave(9).filter { if case .assign = $0 { true } else { false } }, [])
        XCTAssertEqual(h.state.evaluatorPeers, [])
    }

    func testRestartedWorkerReplacesItsOldIncarnationAndOlderIsRefused() {
        var h = Harness(min: 2, max: 4)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        h.allReport(step: 0)
        // node-1 restarts (new socket, incarnation 2) before its old self timed out.
        let d = h.join(1, incarnation: 2, as: PeerID("peer-1-again"))
        XCTAssertEqual(deaths(d).map(\.rank), [1])
        XCTAssertEqual(deaths(d).first?.reason, .restarted(incarnation: 2))
        let formed = assignments(d)
        XCTAssertEqual(formed[PeerID("peer-1-again")]?.rank, 1)
        XCTAssertEqual(h.state.generation, 2)
        // The stale incarnation comes back: refused, naming both incarnations.
        let r = refusals(h.join(1, incarnation: 1))
        XCTAssertEqual(r.first?.mismatches.first, .init(field: "incarnation", coordinator: "2 for node-1", joiner: "1"))
        // A retransmitted join is idempotent.
        let again = h.join(1, incarnation: 2, as: PeerID("peer-1-again"))
        XCTAssertEqual(again, [.admit(PeerID("peer-1-again"), Admission(role: .worker, waitsForStepBoundary: false))])
        XCTAssertEqual(h.state.generation, 2)
    }

    func testProgressSummaryWeightsRanksBySamples() {
        var h = Harness(min: 2, max: 2)
        h.join(0); h.join(1)
        _ = h.allReady(completed: 0)
        h.report(0, report(1, step: 0, loss: 1.0, accuracy: 0.5, samples: 30, compute: 0.2, wait: 0.05))
        let s = summaries(h.report(1, report(1, step: 0, loss: 0.0, accuracy: 1.0, samples: 10, compute: 0.3, wait: 0.0))).first
        XCTAssertEqual(s?.samples, 40)
        XCTAssertEqual(s?.meanLoss ?? .nan, 0.75, accuracy: 1e-12)
        XCTAssertEqual(s?.meanAccuracy ?? .nan, 0.625, accuracy: 1e-12)
        XCTAssertEqual(s?.imagesPerSecond ?? .nan, 40 / 0.3, accuracy: 1e-9)
        XCTAssertEqual(s?.slowestRank, 1)
        XCTAssertEqual(s?.perRank.map(\.allReduceWaitSeconds), [0.05, 0.0])
    }

    /// A slow network makes every rank wait alike in the ring, so waits cannot name it; the
    /// links' busy times can. Rank 2's host is slow: both links through it (r1>r2, r2>r0) are
    /// busy ~200 ms, the third 2 ms. Rank 2 is named though rank 1 computes longest and rank 0
    /// waits longest; neighbours of one slow link share it evenly.
    func testSlowestRankCountsTheBusyTimeOfItsRingLinks() {
        var h = Harness(min: 3, max: 3)
        h.join(0); h.join(1); h.join(2)
        _ = h.allReady(completed: 0)
        func step(_ n: Int, compute: [Double], wait: [Double], busy: [Double?]) -> StepSummary? {
            for r in 0..<3 {
                var one = report(1, step: n, compute: compute[r], wait: wait[r])
                one.ringSendBusySeconds = busy[r]
                h.report(r, one)
            }
            return summaries(h.all).last
        }
        let slowHost = step(0, compute: [0.008, 0.019, 0.010], wait: [0.212, 0.205, 0.201], busy: [0.002, 0.210, 0.205])
        XCTAssertEqual(slowHost?.step, 0)
        XCTAssertEqual(slowHost?.slowestRank, 2)
        XCTAssertEqual(slowHost?.perRank.map(\.ringSendBusySeconds), [0.002, 0.210, 0.205])
        XCTAssertEqual(StepSummary.holdUpSeconds(of: 2, in: slowHost!.perRank), 0.010 + (0.205 + 0.210) / 2, accuracy: 1e-12)
        XCTAssertEqual(StepSummary.holdUpSeconds(of: 0, in: slowHost!.perRank), 0.008 + (0.002 + 0.205) / 2, accuracy: 1e-12)

        // A compute straggler with fast links is still the compute straggler.
        XCTAssertEqual(step(1, compute: [0.008, 0.045, 0.010], wait: [0.040, 0.002, 0.038], busy: [0.002, 0.003, 0.002])?.slowestRank, 1)
        // No link statistics (first step, or a kernel without them): compute alone, as before.
        XCTAssertEqual(step(2, compute: [0.030, 0.010, 0.020], wait: [0, 0, 0], busy: [nil, nil, nil])?.slowestRank, 0)
        // One slow link r0>r1: its two ends share it; compute breaks the tie.
        let oneLink = step(3, compute: [0.010, 0.012, 0.010], wait: [0.1, 0.1, 0.1], busy: [0.150, 0.001, 0.001])
        XCTAssertEqual(oneLink?.slowestRank, 1)
        XCTAssertNotEqual(oneLink?.slowestRank, 2)
    }

    func testFinishesAfterTotalSteps() {
        var h = Harness(min: 1, max: 1, totalSteps: 3)
        h.join(0)
        _ = h.allReady(completed: 0)
        h.allReport(step: 0); h.allReport(step: 1)
        XCTAssertTrue(stops(h.all).isEmpty)
        XCTAssertEqual(stops(h.allReport(step: 2)), [.finished(step: 2)])
    }

    /// One simulated hour at four steps a second with a crash, a restart and a late joiner,
    /// checked for invariants after every event.
    func testAnHourOfTrainingWithFailures() {
        var h = Harness(min: 2, max: 4, heartbeatTimeout: 5, belowMinimumTimeout: 600)
        var alive: Set<Int> = [0, 1, 2]
        var incarnation: [Int: UInt64] = [0: 1, 1: 1, 2: 1, 3: 1]
        var completed: [PeerID: Int] = [:]
        var peerOf: [Int: PeerID] = [:]
        for n in 0 ... 2 { h.join(n); peerOf[n] = peer(n) }
        var lastGeneration = h.state.generation
        var lastStep = -1
        var tick = 0
        while h.now < 3600 {
            h.now += 0.25
            tick += 1
            if tick == 4000 { alive.remove(1) }                      // node-1 crashes at t = 1000 s
            if tick == 8000 {                                         // ... and comes back at t = 2000 s
                alive.insert(1); incarnation[1]! += 1
                peerOf[1] = PeerID("peer-1-inc\(incarnation[1]!)")
                h.join(1, incarnation: incarnation[1]!, as: peerOf[1])
            }
            if tick == 10000 { alive.insert(3); peerOf[3] = peer(3); h.join(3) }   // a new node at t = 2500 s
            for n in alive { h.heartbeat(n, as: peerOf[n]) }
            h.tick()
            switch h.state.phase {
            case .forming:
                for p in h.state.memberPeers { h.record(h.state.onReady(peer: p, generation: h.state.generation, completedSteps: completed[p] ?? 0, now: h.now)) }
            case .training(let g):
                let step = (h.state.lastCompleteStep ?? h.state.startStep - 1) + 1
                let live = h.state.memberPeers.filter { p in alive.contains { peerOf[$0] == p } }
                guard live.count == h.state.worldSize else { break }     // the ring is broken: nobody completes
                for p in live {
                    completed[p] = step + 1
                    h.record(h.state.onStepReport(peer: p, report: report(g, step: step, checksum: step % 50 == 0 ? 42 : nil), now: h.now))
                }
                XCTAssertEqual(h.state.lastCompleteStep, step)
            default:
                break
            }
            XCTAssertGreaterThanOrEqual(h.state.generation, lastGeneration)
            lastGeneration = h.state.generation
            XCTAssertGreaterThanOrEqual(h.state.lastCompleteStep ?? -1, lastStep, "no completed step is lost")
            lastStep = h.state.lastCompleteStep ?? -1
            XCTAssertEqual(h.state.ring.map(\.rank), Array(0 ..< h.state.worldSize))
        }
        XCTAssertTrue(stops(h.all).isEmpty, "\(stops(h.all))")
        XCTAssertEqual(h.state.worldSize, 4)
        XCTAssertEqual(deaths(h.all).map(\.nodeID), ["node-1"])
        XCTAssertEqual(h.state.ring.map(\.nodeID), ["node-0", "node-2", "node-1", "node-3"])
        XCTAssertGreaterThan(lastStep, 14_000 - 100)
        XCTAssertTrue(h.all.contains { if case .weightsAgree(_, 14_350, 42) = $0 { true } else { false } })
    }
}

final class CoordinatorTimeoutTests: XCTestCase {
    func testTwoSilentRanksAreNamedWithTheRanksTheyHeld() {
        var h = Harness(min: 2, max: 4, heartbeatTimeout: 10)
        h.join(0); h.join(1); h.join(2); h.join(3)   // 0 and 1 form generation 1, 2 and 3 wait
        _ = h.allReady(completed: 0)
        h.allReport(step: 0)                          // generation 2: four ranks
        _ = h.allReady(completed: 1)
        h.now = 11
        h.heartbeat(0); h.heartbeat(2)
        let d = h.tick()
        XCTAssertEqual(Set(deaths(d).map { "\($0.rank)=\($0.nodeID)" }), ["1=node-1", "3=node-3"])
        XCTAssertEqual(assignments(d)[peer(2)]?.rank, 1)
        XCTAssertEqual(h.state.generation, 3)
    }

    func testUnansweredAssignmentCountsAsDead() {
        var h = Harness(min: 2, max: 4)
        h.join(0); h.join(1); h.join(2)               // 2 waits for the boundary... none comes while forming
        h.ready(0, completed: 0)
        for t in 1 ... 61 { h.now = Double(t); h.heartbeat(0); h.heartbeat(1); h.heartbeat(2) }
        let d = h.tick()
        XCTAssertEqual(deaths(d).map(\.rank), [1])
        XCTAssertEqual(deaths(d).first?.reason, .assignmentUnanswered(seconds: 61))
        // The survivor and the waiting worker form the next generation.
        XCTAssertEqual(assignments(d)[peer(2)]?.rank, 1)
    }

    func testStalledRankIsDeclaredDeadAndFullStallIsLogged() {
        var h = Harness(min: 2, max: 3)               // step timeout 120 s by default
        h.join(0); h.join(1); h.join(2)
        _ = h.allReady(completed: 0)
        h.allReport(step: 0)
        _ = h.allReady(completed: 1)                  // generation 2 trains from step 1 at t = 0
        h.report(0, report(2, step: 1)); h.report(2, report(2, step: 1))
        for t in stride(from: 10, through: 120, by: 10) {
            h.now = Double(t); h.heartbeat(0); h.heartbeat(1); h.heartbeat(2)
            XCTAssertTrue(deaths(h.tick()).isEmpty)
        }
        h.now = 121; h.heartbeat(0); h.heartbeat(1); h.heartbeat(2)
        let d = h.tick()
        XCTAssertEqual(deaths(d).map(\.rank), [1])
        XCTAssertEqual(deaths(d).first?.reason, .stalled(step: 1, seconds: 121))
        XCTAssertEqual(h.state.phase, .forming(generation: 3))

        _ = h.allReady(completed: 1)
        h.now = 250; h.heartbeat(0); h.heartbeat(2)
        let stall = h.tick()
        XCTAssertTrue(deaths(stall).isEmpty, "nobody reported: no rank to blame")
        XCTAssertTrue(stall.contains(.log(.warning, "no step completed for 129.0 s: no rank reported step 2")), "\(stall)")
        h.now = 251; h.heartbeat(0); h.heartbeat(2)
        XCTAssertTrue(h.tick().isEmpty, "warned once per timeout")
    }

}

/// Who may join as what, and what a flood of joins costs.
final class CoordinatorAuthorityTests: XCTestCase {
    func testAKeyTakesOnlyItsRoleAndANodeNameStaysWithTheKeyThatFirstUsedIt() {
        let (w0, w1, evaluatorKey, unbound) = ("KEY-W0", "KEY-W1", "KEY-E", "KEY-ANY")
        var h = Harness(min: 2, max: 2, keyRoles: [w0: .worker, w1: .worker, evaluatorKey: .evaluator])
        // An evaluator's key cannot take a rank, a worker's key cannot evaluate.
        XCTAssertEqual(refusals(h.join(7, key: evaluatorKey)).first?.mismatches.map(\.field), ["role"])
        XCTAssertEqual(refusals(h.join(8, role: .evaluator, key: w0)).first?.mismatches.map(\.field), ["role"])
        XCTAssertEqual(h.state.worldSize, 0)
        h.join(0, key: w0)
        XCTAssertFalse(assignments(h.join(1, key: w1)).isEmpty)
        _ = h.allReady(completed: 0)
        // Another key claims node-1 with a huge incarnation: refused, and the real node-1 keeps its rank.
        for key in [w0, unbound, evaluatorKey] {
            let d = h.join(1, incarnation: .max, key: key, as: PeerID("intruder-\(key)"))
            XCTAssertTrue(deaths(d).isEmpty, "\(key) evicted a member: \(d)")
            XCTAssertTrue(refusals(d).first?.mismatches.contains { $0.field == "nodeID" } == true, "\(d)")
        }
        XCTAssertEqual(h.state.memberPeers, [peer(0), peer(1)])
        // The owner's own restart still replaces its old incarnation.
        XCTAssertEqual(deaths(h.join(1, incarnation: 2, key: w1, as: PeerID("peer-1-again"))).map(\.rank), [1])
    }

    func testOnPlainTCPNothingIsBoundToKeys() {
        var h = Harness(min: 1, max: 2)
        h.join(0)
        XCTAssertEqual(deaths(h.join(0, incarnation: 5, as: PeerID("elsewhere"))).map(\.rank), [0], "plain TCP promises no identity")
    }

    func testAdmittedProcessesAreTheOnlyOnesTheShellServes() {
        var h = Harness(min: 1, max: 1)
        h.join(0); h.join(9, role: .evaluator)
        XCTAssertTrue(h.state.isAdmitted(peer(0)) && h.state.isAdmitted(peer(9)))
        XCTAssertFalse(h.state.isAdmitted(PeerID("stranger")))
        XCTAssertEqual(h.state.rank(of: peer(9)), nil, "an evaluator holds no rank, so its results never pass for rank 0's")
        XCTAssertEqual(h.state.rank(of: peer(0)), 0)
    }

    func testAJoinFloodCostsAFewLogLinesAndNoAnswers() {
        var h = Harness(min: 2, max: 2)
        let limit = h.state.configuration.joinsPerWindow
        var junk = joinRequest(5)
        junk.configDigest = "forged"
        // 20,000 joins on one connection in one window: `limit` answered, one line about the flood.
        var answered = 0, lines = 0
        for _ in 0..<20_000 {
            let d = h.state.onJoin(peer: PeerID("flood"), request: junk, now: h.now)
            answered += refusals(d).count
            lines += logLines(d).count
        }
        XCTAssertEqual(answered, limit)
        XCTAssertLessThanOrEqual(lines, limit + 1)
        // 20,000 connections, one join each, in the next window: every one answered, at most 10 lines.
        h.now = 10
        lines = 0
        for i in 0..<20_000 {
            lines += logLines(h.state.onJoin(peer: PeerID("c\(i)"), request: junk, now: h.now)).count
        }
        XCTAssertLessThanOrEqual(lines, 12)
        // The window's end summarises what was not logged.
        h.now = 20
        let summary = logLines(h.tick()).joined(separator: "\n")
        XCTAssertTrue(summary.contains("19990 more join refusal(s)"), summary)
        // Honest workers still join.
        h.join(0); XCTAssertFalse(assignments(h.join(1)).isEmpty)
    }
}

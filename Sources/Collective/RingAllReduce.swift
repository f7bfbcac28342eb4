/// What one all-reduce saw besides the data.
public struct RingAllReduceReport: Sendable, Equatable {
    /// Frames dropped because their generation or training step was not the expected one.
    public var droppedFrames: Int = 0
    /// Frames received and used.
    public var receivedFrames: Int = 0
    public init() {}
}

/// Ring all-reduce of one flat Float32 buffer over a `RingLink`: reduce-scatter, then all-gather.
///
/// The result is the elementwise SUM over ranks (the trainer divides). Chunks are pipelined: as
/// soon as chunk c of step k is received (and summed), chunk c of step k+1 (the same elements) is
/// queued for the successor, so sending overlaps receiving and summing. Sums are formed in ring
/// order, so every rank ends with bitwise-identical values.
public enum RingAllReduce {
    /// Runs one all-reduce in place.
    /// - Parameters:
    ///   - buffer: `schedule.elementCount` elements; on return, the sum over all ranks.
    ///   - schedule: this rank's plan.
    ///   - link: connections to the successor and from the predecessor.
    ///   - generation: membership generation; frames of other generations are dropped.
    ///   - step: training step; frames of other steps are dropped.
    ///   - timeoutMilliseconds: deadline for each receive (and for the final send release).
    /// - Returns: counts of frames used and dropped.
    /// - Throws: `RingAllReduceError` (timeout naming the predecessor, bad or misplaced frame) or
    ///   the link's own errors. After a throw the buffer holds partial sums, and frames queued
    ///   before the failure may still read it: call `link.waitUntilSendsReleased` (closing the
    ///   link first if the successor is gone) before freeing the buffer.
    public static func run(buffer: UnsafeMutableBufferPointer<Float>, schedule: RingSchedule, link: some RingLink,
                           generation: UInt64, step: UInt32, timeoutMilliseconds: Int = 30_000) throws -> RingAllReduceReport {
        guard buffer.count == schedule.elementCount else {
            throw RingAllReduceError.bufferSizeMismatch(expected: schedule.elementCount, found: buffer.count)
        }
        var report = RingAllReduceReport()
        guard schedule.worldSize > 1, let base = buffer.baseAddress else { return report }
        let peer = schedule.predecessor

        // One header buffer, reused: the link copies the 40 header bytes when it queues them.
        let headerBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: RingFrameHeader.byteCount, alignment: 8)
        defer { headerBytes.deallocate() }

        func sendChunk(_ chunk: Int, ofStep stepIndex: Int) throws {
            let ringStep = schedule.step(stepIndex)
            let range = schedule.chunk(chunk, ofSegment: ringStep.sendSegment)
            RingFrameHeader(generation: generation, step: step, phase: ringStep.phase, ringStep: UInt32(stepIndex),
                            chunk: UInt32(chunk), elementOffset: UInt64(range.lowerBound),
                            elementCount: UInt32(range.count)).encode(into: headerBytes)
            try link.send(header: UnsafeRawBufferPointer(headerBytes),
                          payload: UnsafeRawBufferPointer(start: base + range.lowerBound,
                                                          count: range.count * MemoryLayout<Float>.size))
        }

        let first = schedule.step(0)
        for chunk in 0..<schedule.chunkCount(segment: first.sendSegment) {
            try sendChunk(chunk, ofStep: 0)
        }
        for stepIndex in 0..<schedule.stepCount {
            let ringStep = schedule.step(stepIndex)
            if stepIndex == schedule.worldSize - 1 {
                // The all-gather overwrites segments this rank sent, zero-copy, in the reduce-scatter.
                guard try link.waitUntilSendsReleased(timeoutMilliseconds: timeoutMilliseconds) else {
                    throw RingAllReduceError.sendsNotReleased(peerRank: schedule.successor, waitedMilliseconds: timeoutMilliseconds)
                }
            }
            for chunk in 0..<schedule.chunkCount(segment: ringStep.receiveSegment) {
                let range = schedule.chunk(chunk, ofSegment: ringStep.receiveSegment)
                var done = false
                while !done {
                    let arrived = try link.receive(timeoutMilliseconds: timeoutMilliseconds) { headerPart, payload in
                        let header: RingFrameHeader
                        do throws(RingFrameError) {
                            header = try RingFrameHeader.decode(headerPart, payloadByteCount: payload.count)
                        } catch {
                            throw RingAllReduceError.badFrame(peerRank: peer, error)
                        }
                        guard header.generation == generation, header.step == step else {
                            report.droppedFrames += 1
                            return
                        }
                        guard header.ringStep == UInt32(stepIndex), header.phase == ringStep.phase,
                              header.chunk == UInt32(chunk), header.elementOffset == UInt64(range.lowerBound),
                              header.elementCount == UInt32(range.count) else {
                            throw RingAllReduceError.unexpectedFrame(
                                peerRank: peer,
                                expected: "ring step \(stepIndex) chunk \(chunk) elements \(range)",
                                found: "ring step \(header.ringStep) chunk \(header.chunk) elements \(header.elementOffset)..<\(header.elementOffset + UInt64(header.elementCount))")
                        }
                        combine(payload, into: base + range.lowerBound, count: range.count, sum: ringStep.sums)
                        report.receivedFrames += 1
                        done = true
                    }
                    guard arrived else {
                        throw RingAllReduceError.timeout(peerRank: peer, phase: ringStep.phase, ringStep: stepIndex,
                                                         chunk: chunk, waitedMilliseconds: timeoutMilliseconds)
                    }
                }
                if stepIndex + 1 < schedule.stepCount {
                    try sendChunk(chunk, ofStep: stepIndex + 1)
                }
            }
        }
        // The caller may change the buffer as soon as we return.
        guard try link.waitUntilSendsReleased(timeoutMilliseconds: timeoutMilliseconds) else {
            throw RingAllReduceError.sendsNotReleased(peerRank: schedule.successor, waitedMilliseconds: timeoutMilliseconds)
        }
        return report
    }

    /// `destination[i] += payload[i]` (or `=`), for `count` Float32 elements of `payload`.
    @inline(__always)
    static func combine(_ payload: UnsafeRawBufferPointer, into destination: UnsafeMutablePointer<Float>, count: Int, sum: Bool) {
        guard count > 0, let raw = payload.baseAddress else { return }
        if !sum {
            UnsafeMutableRawPointer(destination).copyMemory(from: raw, byteCount: count &* 4)
            return
        }
        if Int(bitPattern: raw) & 3 == 0 {
            let source = raw.assumingMemoryBound(to: Float.self)
            var i = 0
            while i < count {
                destination[i] += source[i]
                i &+= 1
            }
        } else {
            var i = 0
            while i < count {
                destination[i] += raw.loadUnaligned(fromByteOffset: i &* 4, as: Float.self)
                i &+= 1
            }
        }
    }
}

import CStreamingStores

/// What one all-reduce saw besides the data.
public struct RingAllReduceReport: Sendable, Equatable {
    /// Frames dropped because their generation or training step was not the expected one.
    public var droppedFrames: Int = 0
    /// Frames received and used.
    public var receivedFrames: Int = 0
    /// Frames that were not a ring frame of this all-reduce at all (they did not decode), or
    /// claimed this step but another position in it: dropped, never fatal, so that junk sent to a
    /// ring port (anyone can reach it on plain TCP) cannot stop a worker. A real frame lost this
    /// way shows up as the step's timeout.
    public var rejectedFrames: Int = 0
    /// What was wrong with the first rejected frame.
    public var firstRejection: String?
    public init() {}
}

/// Ring all-reduce of one flat Float32 buffer over a `RingLink`: reduce-scatter, then all-gather.
///
/// The result is the elementwise SUM over ranks (the trainer divides). Chunks are pipelined: as
/// soon as chunk c of step k is received (and summed), it travels on as chunk c of step k+1 (the
/// same elements), so sending overlaps receiving and summing. Sums are formed in ring order, so
/// every rank ends with bitwise-identical values.
///
/// Memory traffic is what limits an all-reduce when several ranks share a host's cores, so every
/// byte is touched as few times as the algorithm allows: only the first step sends from the
/// buffer; every later frame is the received frame itself, summed in place and forwarded without a
/// copy. A partial sum is never written to the buffer; the buffer is written once per element, when
/// that element's final value arrives (the last reduce-scatter step and the all-gather).
public enum RingAllReduce {
    /// Runs one all-reduce in place.
    /// - Parameters:
    ///   - buffer: `schedule.elementCount` elements; on return, the sum over all ranks.
    ///   - schedule: this rank's plan.
    ///   - link: connections to the successor and from the predecessor.
    ///   - generation: membership generation; frames of other generations are dropped.
    ///   - step: training step; frames of other steps are dropped.
    ///   - timeoutMilliseconds: deadline for each receive (and for the final send release).
    ///   - format: the elements' encoding on the wire. With `.bfloat16` step 0 encodes this rank's
    ///     send segment in place (its Float32 values are not needed again: the all-gather
    ///     overwrites them), partial sums are rounded at each hop, and the final values are the
    ///     rounded ones on every rank.
    /// - Returns: counts of frames used and dropped.
    /// - Throws: `RingAllReduceError` (timeout naming the predecessor, bad or misplaced frame) or
    ///   the link's own errors. After a throw some segments of the buffer may hold final sums and
    ///   the rest the caller's values; frames queued before the failure may still read the buffer:
    ///   call `link.waitUntilSendsReleased` (closing the link first if the successor is gone)
    ///   before freeing it.
    public static func run(buffer: UnsafeMutableBufferPointer<Float>, schedule: RingSchedule, link: some RingLink,
                           generation: UInt64, step: UInt32, timeoutMilliseconds: Int = 30_000,
                           format: RingWireFormat = .float32) throws -> RingAllReduceReport {
        guard buffer.count == schedule.elementCount else {
            throw RingAllReduceError.bufferSizeMismatch(expected: schedule.elementCount, found: buffer.count)
        }
        var report = RingAllReduceReport()
        guard schedule.worldSize > 1, let base = buffer.baseAddress else { return report }
        let peer = schedule.predecessor
        let lastReduceStep = schedule.worldSize - 2

        // One header buffer, reused: the link copies the 40 header bytes when it queues them.
        let headerBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: RingFrameHeader.byteCount, alignment: 8)
        defer { headerBytes.deallocate() }

        /// Writes the header of `chunk` of step `stepIndex` and returns the chunk's elements.
        func header(_ chunk: Int, ofStep stepIndex: Int) -> Range<Int> {
            let ringStep = schedule.step(stepIndex)
            let range = schedule.chunk(chunk, ofSegment: ringStep.sendSegment)
            RingFrameHeader(generation: generation, step: step, phase: ringStep.phase, ringStep: UInt32(stepIndex),
                            chunk: UInt32(chunk), elementOffset: UInt64(range.lowerBound),
                            elementCount: UInt32(range.count), format: format).encode(into: headerBytes)
            return range
        }

        // Step 0 sends this rank's own values, borrowed from the buffer (zero-copy; bfloat16 is
        // encoded in place first).
        let first = schedule.step(0)
        for chunk in 0..<schedule.chunkCount(segment: first.sendSegment) {
            let range = header(chunk, ofStep: 0)
            let start = UnsafeMutableRawPointer(base + range.lowerBound)
            if format == .bfloat16 { BFloat16.encodeInPlace(start, count: range.count) }
            try link.send(header: UnsafeRawBufferPointer(headerBytes),
                          payload: UnsafeRawBufferPointer(start: start, count: range.count * format.elementBytes))
        }
        for stepIndex in 0..<schedule.stepCount {
            let ringStep = schedule.step(stepIndex)
            if stepIndex == schedule.worldSize - 1 {
                // The all-gather stores into the segment step 0 lent to the link.
                guard try link.waitUntilSendsReleased(timeoutMilliseconds: timeoutMilliseconds) else {
                    throw RingAllReduceError.sendsNotReleased(peerRank: schedule.successor, waitedMilliseconds: timeoutMilliseconds)
                }
            }
            // From the last reduce-scatter step on, what arrives (plus, in that step, this rank's
            // own values) is final: it is stored.
            let stores = stepIndex >= lastReduceStep
            let forwards = stepIndex + 1 < schedule.stepCount
            for chunk in 0..<schedule.chunkCount(segment: ringStep.receiveSegment) {
                let range = schedule.chunk(chunk, ofSegment: ringStep.receiveSegment)
                var done = false
                while !done {
                    let arrived = try link.receive(timeoutMilliseconds: timeoutMilliseconds) { headerPart, payload in
                        let header: RingFrameHeader
                        do throws(RingFrameError) {
                            header = try RingFrameHeader.decode(headerPart, payloadByteCount: payload.count)
                        } catch {
                            report.rejectedFrames += 1
                            report.firstRejection = report.firstRejection ?? "\(error)"
                            return
                        }
                        guard header.generation == generation, header.step == step else {
                            report.droppedFrames += 1
                            return
                        }
                        guard header.ringStep == UInt32(stepIndex), header.phase == ringStep.phase, header.format == format,
                              header.chunk == UInt32(chunk), header.elementOffset == UInt64(range.lowerBound),
                              header.elementCount == UInt32(range.count) else {
                            report.rejectedFrames += 1
                            report.firstRejection = report.firstRejection ?? "expected ring step \(stepIndex) chunk \(chunk) elements \(range) as \(format), found ring step \(header.ringStep) chunk \(header.chunk) elements \(header.elementOffset)..<\(header.elementOffset + UInt64(header.elementCount)) as \(header.format)"
                            return
                        }
                        let values = base + range.lowerBound
                        switch format {
                        case .float32:
                            if ringStep.sums { accumulate(values, into: payload, count: range.count) }
                            if stores { store(payload, into: values, count: range.count) }
                        case .bfloat16:
                            BFloat16.combine(payload, values, count: range.count, sums: ringStep.sums, stores: stores)
                        }
                        report.receivedFrames += 1
                        done = true
                    }
                    guard arrived else {
                        throw RingAllReduceError.timeout(peerRank: peer, phase: ringStep.phase, ringStep: stepIndex,
                                                         chunk: chunk, waitedMilliseconds: timeoutMilliseconds)
                    }
                }
                if forwards {
                    _ = header(chunk, ofStep: stepIndex + 1)
                    try link.forwardReceived(header: UnsafeRawBufferPointer(headerBytes))
                }
            }
        }
        // The caller may change the buffer as soon as we return.
        guard try link.waitUntilSendsReleased(timeoutMilliseconds: timeoutMilliseconds) else {
            throw RingAllReduceError.sendsNotReleased(peerRank: schedule.successor, waitedMilliseconds: timeoutMilliseconds)
        }
        return report
    }

    /// `payload[i] += values[i]` for `count` Float32 elements (IEEE addition commutes, so this is
    /// bitwise the same sum as `values[i] + payload[i]`).
    @inline(__always)
    static func accumulate(_ values: UnsafePointer<Float>, into payload: UnsafeMutableRawBufferPointer, count: Int) {
        guard count > 0, let raw = payload.baseAddress else { return }
        if Int(bitPattern: raw) & 3 == 0 {
            let sums = raw.assumingMemoryBound(to: Float.self)
            var i = 0
            while i < count {
                sums[i] += values[i]
                i &+= 1
            }
        } else {
            var i = 0
            while i < count {
                let offset = i &* 4
                raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: offset, as: Float.self) + values[i],
                               toByteOffset: offset, as: Float.self)
                i &+= 1
            }
        }
    }

    /// Copies `count` Float32 elements of `payload` into the buffer, with streaming stores: the
    /// buffer is far larger than the caches and not read again during the all-reduce, so its
    /// lines are written without being fetched first (measured here: 13-15 GB/s against 6-7 for
    /// `memcpy` into memory that is not in cache).
    @inline(__always)
    static func store(_ payload: UnsafeMutableRawBufferPointer, into values: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0, let raw = payload.baseAddress else { return }
        if Int(bitPattern: raw) & 3 == 0 {
            cifake_stream_copy_floats(values, raw.assumingMemoryBound(to: Float.self), count)
        } else {
            UnsafeMutableRawPointer(values).copyMemory(from: raw, byteCount: count &* 4)
        }
    }
}

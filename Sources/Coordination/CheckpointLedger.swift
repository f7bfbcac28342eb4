import Checksums

/// The coordinator's checkpoints as a value type: uploads it pulls from workers (rank 0's
/// checkpoints, a state source's state for ranks that fell behind), the ranks' agreement on the
/// weights, the consolidated checkpoints waiting for the writer thread, the one being written,
/// the newest written one that evaluators and resuming workers fetch, and a state transfer after
/// a membership change.
///
/// It does no I/O and reads no clock: each event carries `now` and returns the directives the
/// shell carries out, in order. The shell owns the sockets, the files and the writer thread; it
/// verifies an upload's content (``Directive/verify(step:bytes:agreedChecksum:)``: decoding a
/// checkpoint is the Checkpoints module's job) and reports what its writer finished.
///
/// Life of a checkpoint: rank 0 offers it (``onOffer(_:from:now:)``); ranges are asked for and
/// arrive (``onTick(now:)``, ``onChunk(_:from:now:)``) until the bytes match the offer's digest;
/// every rank reported the same weight checksum for its step (``onWeightsAgree(step:checksum:)``,
/// before or after the upload completes); the shell verifies the bytes hold those weights
/// (``onVerified(step:bytes:)``); it is queued for the writer, written (``onWritten(step:)``) and
/// from then on served (``chunk(for:)``).
public struct CheckpointLedger: Sendable {
    public enum Directive: Sendable, Equatable {
        /// Ask `peer` for a range of the upload it offered.
        case request(PeerID, ByteRangeRequest)
        /// How far an upload has got (said every `progressInterval` seconds).
        case uploadProgress(PeerID, step: Int, received: Int, total: Int, bytesPerSecond: Double)
        /// A state transfer's upload is complete: offer it to the ranks that need it.
        case offer(CheckpointOffer, to: [PeerID])
        /// Every rank agreed on `agreedChecksum` after `step`, and rank 0's upload of that state is
        /// complete: check that the bytes hold those weights, then report ``onVerified(step:bytes:)``
        /// (the bytes may be rewritten on the way, e.g. to carry the run's bookkeeping); a
        /// checkpoint that does not is logged and dropped.
        case verify(step: Int, bytes: [UInt8], agreedChecksum: UInt64)
        /// Write these bytes as the checkpoint of `step` on the writer thread; report
        /// ``onWritten(step:)`` once done.
        case write(step: Int, bytes: [UInt8])
        /// The writer is behind and every queued checkpoint closes an epoch: wait for the write
        /// under way, then report ``onWritten(step:)``.
        case awaitWriter(step: Int)
        /// The checkpoint is on disk and is now the one served: point `latest` (and `best`) at it
        /// and offer it to the evaluators.
        case written(CheckpointOffer)
        case log(CoordinatorDirective.LogLevel, String)
    }

    struct Upload: Sendable {
        var offer: CheckpointOffer
        var bytes: [UInt8]
        var pull: UploadPull
        var loggedAt: Double
    }

    /// A state transfer after a membership change: the step, the peers that need it, and the
    /// source's upload once complete.
    struct Transfer: Sendable {
        var step: Int
        var peers: [PeerID]
        var offer: CheckpointOffer?
        var bytes: [UInt8] = []
    }

    /// Complete uploads (and agreements) wait for their counterpart; only the newest few can
    /// still get it.
    public let waitingLimit: Int
    /// Seconds between an upload's progress lines.
    public let progressInterval: Double
    /// The most bytes one served chunk carries.
    public let maximumChunkBytes: Int
    /// The bytes asked for in one request of an upload (``UploadPull``).
    public let uploadChunkBytes: Int

    /// Uploads in progress, one per sender (a newer offer replaces an older one).
    private var uploads: [PeerID: Upload] = [:]
    /// Complete uploads waiting for their step's agreement, by step (completed steps).
    private var complete: [Int: [UInt8]] = [:]
    /// Agreements whose upload was still being pulled: the agreed weight checksum, by step.
    private var agreed: [Int: UInt64] = [:]
    private var transfer: Transfer?
    /// Consolidated checkpoints waiting for the writer, and the one it writes.
    private var queue: CheckpointWriteQueue
    private var writing: (step: Int, bytes: [UInt8])?
    /// The newest written checkpoint (or the run's starting state): what is served.
    private var served: (offer: CheckpointOffer, bytes: [UInt8])?

    public init(stepsPerEpoch: Int, queueCapacity: Int = 2, waitingLimit: Int = 2, progressInterval: Double = 5,
                maximumChunkBytes: Int = ChunkPacing.maximumChunkBytes, uploadChunkBytes: Int = 1 << 20) {
        queue = CheckpointWriteQueue(capacity: queueCapacity, stepsPerEpoch: stepsPerEpoch)
        self.waitingLimit = waitingLimit
        self.progressInterval = progressInterval
        self.maximumChunkBytes = maximumChunkBytes
        self.uploadChunkBytes = uploadChunkBytes
    }

    // MARK: Views for the shell

    /// What is served: the newest written checkpoint, or the run's starting state.
    public var servedOffer: CheckpointOffer? { served?.offer }
    /// The step the writer thread is writing.
    public var writingStep: Int? { writing?.step }
    /// Whether nothing waits for the writer and nothing is being written.
    public var writesDone: Bool { writing == nil && queue.isEmpty }
    /// Peers with an upload in progress.
    public var uploaders: [PeerID] { Array(uploads.keys) }

    /// Whether the checkpoint after `completedSteps` is still on its way to disk: being pulled,
    /// complete and waiting for the ranks' agreement (or the other way round), queued or being
    /// written. `latest`: the newest checkpoint on disk.
    public func awaits(completedSteps: Int, latest: Int?) -> Bool {
        latest != completedSteps
            && (uploads.values.contains { $0.offer.step == completedSteps } || complete[completedSteps] != nil
                || agreed[completedSteps] != nil || writing?.step == completedSteps || queue.contains(step: completedSteps))
    }

    /// The chunk answering `range`: of a state transfer's upload for its step, else of the served
    /// checkpoint. A request for another step gets the served checkpoint's bytes from its start,
    /// under its own step: the fetcher starts over. Nil when there is nothing to serve.
    public func chunk(for range: ByteRangeRequest) -> ByteChunk? {
        if let transfer, let offer = transfer.offer, offer.step == range.step {
            return ByteChunk(of: transfer.bytes, step: offer.step, offset: range.offset, length: min(range.length, maximumChunkBytes))
        }
        guard let served else { return nil }
        return ByteChunk(of: served.bytes, step: served.offer.step, offset: range.step == served.offer.step ? range.offset : 0,
                         length: min(range.length, maximumChunkBytes))
    }

    // MARK: Events

    /// The run's starting state (a resumed run's newest checkpoint, a warm start's weights):
    /// served until the first checkpoint is written.
    public mutating func serve(step: Int, bytes: [UInt8]) {
        served = (CheckpointOffer(step: step, totalBytes: UInt64(bytes.count), checksum: XXH64.hash(bytes)), bytes)
    }

    /// `peer` (a member) offers an upload; it replaces any upload of that peer still in flight.
    public mutating func onOffer(_ offer: CheckpointOffer, from peer: PeerID, now: Double) -> [Directive] {
        uploads[peer] = Upload(offer: offer, bytes: [], pull: UploadPull(step: offer.step, total: Int(min(offer.totalBytes, UInt64(Int.max))), now: now,
                                                                    chunkBytes: uploadChunkBytes),
                               loggedAt: now)
        return onTick(now: now)
    }

    /// Time passes: the ranges each upload needs next (and again those that never came), and
    /// each upload's progress every `progressInterval` seconds.
    public mutating func onTick(now: Double) -> [Directive] {
        var directives: [Directive] = []
        for peer in uploads.keys.sorted(by: { $0.description < $1.description }) {
            var u = uploads[peer]!
            for ask in u.pull.requests(now: now) {
                directives.append(.request(peer, ByteRangeRequest(step: u.offer.step, offset: UInt64(ask.offset), length: ask.length)))
            }
            if now - u.loggedAt >= progressInterval {
                u.loggedAt = now
                directives.append(.uploadProgress(peer, step: u.offer.step, received: u.pull.received, total: u.pull.total,
                                                  bytesPerSecond: Double(u.pull.received) / max(now - u.pull.started, 1e-3)))
            }
            uploads[peer] = u
        }
        return directives
    }

    /// A range of `peer`'s upload arrived. A range asked for twice, or of an upload that was
    /// replaced, is dropped (asked for again in order). Once the upload is complete and matches
    /// its offer's digest it goes to the transfer waiting for it, or waits for (or meets) its
    /// step's agreement.
    public mutating func onChunk(_ chunk: ByteChunk, from peer: PeerID, now: Double) -> [Directive] {
        guard var u = uploads[peer], chunk.step == u.offer.step,
              u.pull.accept(offset: Int(clamping: chunk.offset), count: chunk.bytes.count, now: now) else { return [] }
        u.bytes += chunk.bytes
        guard u.pull.isComplete else {
            uploads[peer] = u
            return []
        }
        uploads[peer] = nil
        guard XXH64.hash(u.bytes) == u.offer.checksum else {
            return [.log(.error, "the upload of step \(u.offer.step) arrived damaged (its digest differs from the offer's); not written")]
        }
        if var t = transfer, t.step == u.offer.step, t.offer == nil {
            t.offer = u.offer
            t.bytes = u.bytes
            transfer = t
            return [.offer(u.offer, to: t.peers)]
        }
        complete[u.offer.step] = u.bytes
        while complete.count > waitingLimit, let oldest = complete.keys.min() { complete[oldest] = nil }
        if let checksum = agreed.removeValue(forKey: u.offer.step) {
            return onWeightsAgree(step: u.offer.step, checksum: checksum)
        }
        return []
    }

    /// Every rank reported weight checksum `checksum` after `step` completed steps: the upload of
    /// that state is verified now if complete, or once it completes.
    public mutating func onWeightsAgree(step: Int, checksum: UInt64) -> [Directive] {
        if let bytes = complete.removeValue(forKey: step) {
            return [.verify(step: step, bytes: bytes, agreedChecksum: checksum)]
        }
        if uploads.values.contains(where: { $0.offer.step == step }) {
            agreed[step] = checksum
            while agreed.count > waitingLimit, let oldest = agreed.keys.min() { agreed[oldest] = nil }
        }
        return []
    }

    /// The shell verified the checkpoint of `step`: it is queued for the writer (dropping an
    /// older one that closes no epoch when the disk is behind), and written next if the writer
    /// is idle.
    public mutating func onVerified(step: Int, bytes: [UInt8]) -> [Directive] {
        switch queue.add(step: step, bytes: bytes) {
        case .queued:
            return startWrite()
        case .dropped(let older):
            return [.log(.warning, "checkpoint of step \(older) not written: the disk is behind (step \(step) is consolidated already)")] + startWrite()
        case .full:
            return writing.map { [.awaitWriter(step: $0.step)] } ?? startWrite()
        }
    }

    /// The writer finished the checkpoint of `step`: it is served from now on, and the next
    /// queued one is written.
    public mutating func onWritten(step: Int) -> [Directive] {
        guard let w = writing, w.step == step else { return [] }
        writing = nil
        serve(step: step, bytes: w.bytes)
        return [.written(served!.offer)] + startWrite()
    }

    /// A peer died or left: its upload never completes.
    public mutating func onPeerGone(_ peer: PeerID) {
        uploads[peer] = nil
    }

    /// A generation starts at `step` and `peers` must copy a rank's state: the source's next
    /// upload of that step is offered to them (``Directive/offer(_:to:)``) and served on request.
    public mutating func onTransfer(step: Int, to peers: [PeerID]) {
        transfer = Transfer(step: step, peers: peers)
    }

    private mutating func startWrite() -> [Directive] {
        guard writing == nil, let next = queue.next() else { return [] }
        writing = next
        return [.write(step: next.step, bytes: next.bytes)]
    }
}

/// One upload the coordinator pulls from a worker (a checkpoint or a replica's state): which
/// byte ranges to ask for next. At most `window` bytes are asked for beyond what has arrived, so
/// the sender's control socket never holds more than that ahead of its heartbeats; a range that
/// does not arrive within `stallSeconds` is asked for again (from the first missing byte), so a
/// lost message or a reconnection slows the upload, never ends it. Pure: time is passed in.
public struct UploadPull: Sendable, Equatable {
    public let step: Int
    public let total: Int
    public let chunkBytes: Int
    public let window: Int
    public let stallSeconds: Double
    /// Bytes received in order so far.
    public private(set) var received = 0
    private var requested = 0
    private var lastProgress: Double
    public let started: Double

    public init(step: Int, total: Int, now: Double, chunkBytes: Int = 1 << 20, window: Int = 8 << 20, stallSeconds: Double = 10) {
        self.step = step
        self.total = max(0, total)
        self.chunkBytes = max(1, chunkBytes)
        self.window = max(window, chunkBytes)
        self.stallSeconds = stallSeconds
        lastProgress = now
        started = now
    }

    public var isComplete: Bool { received >= total }

    /// The ranges to ask for now.
    public mutating func requests(now: Double) -> [(offset: Int, length: Int)] {
        guard !isComplete else { return [] }
        if requested > received && now - lastProgress >= stallSeconds {
            requested = received  // what was asked for is lost: ask again
            lastProgress = now
        }
        var asks: [(offset: Int, length: Int)] = []
        while requested < total && requested - received < window {
            let length = min(chunkBytes, total - requested)
            asks.append((requested, length))
            requested += length
        }
        return asks
    }

    /// A range arrived. Returns true when it is the next one in order (the caller appends it);
    /// a duplicate or a range past a gap is ignored (it is asked for again in order).
    public mutating func accept(offset: Int, count: Int, now: Double) -> Bool {
        guard offset == received, count > 0, received + count <= total else { return false }
        received += count
        lastProgress = now
        requested = max(requested, received)
        return true
    }
}

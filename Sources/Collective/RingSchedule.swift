/// The plan of a ring all-reduce for one rank, computed without I/O.
///
/// The flat buffer of `elementCount` elements is split into `worldSize` near-equal segments (the
/// first `elementCount % worldSize` segments hold one element more), and each segment into chunks
/// of at most `chunkElements` elements, so that sending one chunk overlaps summing the previous.
/// Rank r sends to its successor r+1 and receives from its predecessor r-1 (mod N).
///
/// Steps 0 ..< N-1 are the reduce-scatter: in step s rank r sends segment (r - s) and sums the
/// received segment (r - s - 1) into its buffer, so that after them it owns the fully reduced
/// segment (r + 1). Steps N-1 ..< 2(N-1) are the all-gather: in all-gather step g rank r sends
/// segment (r + 1 - g) and copies the received segment (r - g). The segment received in step k is
/// always the one sent in step k+1, which lets chunks flow through the ring as soon as they arrive.
///
/// A `window` restricts the plan to part of the buffer while keeping the whole buffer's segments
/// (each clamped to the window): all-reducing a buffer in windows that cover it, one after the
/// other, sums every element in the same ring order, so to the same bits, as one all-reduce.
public struct RingSchedule: Sendable, Equatable {
    /// Number of ranks N in the ring, >= 1.
    public let worldSize: Int
    /// This rank, 0 ..< worldSize.
    public let rank: Int
    /// Elements in the flat buffer being reduced.
    public let elementCount: Int
    /// Largest number of elements in one chunk (one frame), >= 1.
    public let chunkElements: Int
    /// The elements this plan reduces (the whole buffer unless given).
    public let window: Range<Int>

    /// Creates the plan. Traps on arguments outside the documented ranges (programming errors).
    public init(worldSize: Int, rank: Int, elementCount: Int, chunkElements: Int, window: Range<Int>? = nil) {
        precondition(worldSize >= 1, "worldSize must be >= 1, found \(worldSize)")
        precondition((0..<worldSize).contains(rank), "rank must be in 0..<\(worldSize), found \(rank)")
        precondition(elementCount >= 0, "elementCount must be >= 0, found \(elementCount)")
        precondition(chunkElements >= 1, "chunkElements must be >= 1, found \(chunkElements)")
        let window = window ?? 0..<elementCount
        precondition(window.lowerBound >= 0 && window.upperBound <= elementCount, "window \(window) must lie in 0..<\(elementCount)")
        self.worldSize = worldSize
        self.rank = rank
        self.elementCount = elementCount
        self.chunkElements = chunkElements
        self.window = window
    }

    /// The rank this one sends to.
    public var successor: Int { (rank + 1) % worldSize }
    /// The rank this one receives from.
    public var predecessor: Int { (rank + worldSize - 1) % worldSize }
    /// Total number of steps, 2(N-1); 0 for a single rank.
    public var stepCount: Int { 2 * (worldSize - 1) }
    /// The segment this rank holds fully reduced after the reduce-scatter.
    public var ownedSegment: Int { (rank + 1) % worldSize }

    /// Element range of segment `index` in the flat buffer (within the window).
    public func segment(_ index: Int) -> Range<Int> {
        precondition((0..<worldSize).contains(index), "segment must be in 0..<\(worldSize), found \(index)")
        let base = elementCount / worldSize
        let extra = elementCount % worldSize
        let start = index * base + min(index, extra)
        return (start ..< start + base + (index < extra ? 1 : 0)).clamped(to: window)
    }

    /// Number of chunks in segment `index` (0 for an empty segment).
    public func chunkCount(segment index: Int) -> Int {
        let count = segment(index).count
        return (count + chunkElements - 1) / chunkElements
    }

    /// Element range, in the flat buffer, of chunk `chunk` of segment `index`.
    public func chunk(_ chunk: Int, ofSegment index: Int) -> Range<Int> {
        let range = segment(index)
        precondition((0..<chunkCount(segment: index)).contains(chunk), "chunk \(chunk) out of range for segment \(index)")
        let start = range.lowerBound + chunk * chunkElements
        return start ..< min(start + chunkElements, range.upperBound)
    }

    /// Step `index` of this rank's plan, 0 ..< stepCount.
    public func step(_ index: Int) -> RingStep {
        precondition((0..<stepCount).contains(index), "step must be in 0..<\(stepCount), found \(index)")
        let n = worldSize
        func wrap(_ value: Int) -> Int { ((value % n) + n) % n }
        if index < n - 1 {
            return RingStep(index: index, phase: .reduceScatter,
                            sendSegment: wrap(rank - index), receiveSegment: wrap(rank - index - 1))
        }
        let g = index - (n - 1)
        return RingStep(index: index, phase: .allGather,
                        sendSegment: wrap(rank + 1 - g), receiveSegment: wrap(rank - g))
    }

    /// All steps in order.
    public var steps: [RingStep] { (0..<stepCount).map(step) }
}

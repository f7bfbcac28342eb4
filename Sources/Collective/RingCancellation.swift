import Synchronization

/// How the control side of a process abandons ring all-reduces without touching the ring: it
/// marks every generation below G abandoned, and the thread that moves the ring's bytes, which
/// reads the mark between receive slices, leaves with `RingAllReduceError.abandoned`. The ring
/// thread thus never runs control work, and control never touches the ring's sockets.
public final class RingCancellation: Sendable {
    private let abandonedBelow = Atomic<UInt64>(0)

    public init() {}

    /// All-reduces of every generation below `generation` stop at their next slice. Marks only
    /// grow: an older mark never revives a generation.
    public func abandon(below generation: UInt64) {
        var current = abandonedBelow.load(ordering: .relaxed)
        while current < generation {
            let (exchanged, original) = abandonedBelow.compareExchange(expected: current, desired: generation, ordering: .releasing)
            if exchanged { return }
            current = original
        }
    }

    /// Whether all-reduces of `generation` are abandoned.
    public func isAbandoned(_ generation: UInt64) -> Bool {
        generation < abandonedBelow.load(ordering: .acquiring)
    }
}

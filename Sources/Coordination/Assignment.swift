/// A worker's place in a new generation. Sent to every member when a generation forms; the
/// worker aborts any step in flight, re-forms its ring links, and answers with `ready`
/// (its own count of completed steps). Training resumes on ``StartTraining``.
public struct Assignment: Sendable, Equatable {
    public var rank: Int
    public var worldSize: Int
    public var generation: UInt64
    /// Every member in rank order (`ring[i].rank == i`).
    public var ring: [RingMember]

    public init(rank: Int, worldSize: Int, generation: UInt64, ring: [RingMember]) {
        self.rank = rank
        self.worldSize = worldSize
        self.generation = generation
        self.ring = ring
    }

    /// The rank this worker sends to.
    public var successor: RingMember { ring[RingOrder.successor(of: rank, worldSize: worldSize)] }
    /// The rank this worker receives from.
    public var predecessor: RingMember { ring[RingOrder.predecessor(of: rank, worldSize: worldSize)] }
}

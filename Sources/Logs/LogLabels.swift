/// Who is speaking in a log line: the process's role and, once it has them, its rank and the
/// membership generation, e.g. `worker rank=1 gen=3`. A worker without a rank yet is named by
/// its node name (`worker node=local-123-w2`), so that lines of several workers stay apart.
public struct LogLabels: Sendable, Equatable {
    /// `coordinator`, `worker`, `evaluator`, `launcher`, `train`, `retrain`, or the subcommand.
    public var role: String
    public var rank: Int?
    public var generation: UInt64?
    /// Shown only while there is no rank.
    public var node: String?

    public init(role: String, rank: Int? = nil, generation: UInt64? = nil, node: String? = nil) {
        self.role = role
        self.rank = rank
        self.generation = generation
        self.node = node
    }

    /// `role[ rank=R][ gen=G]`, or `role node=N[ gen=G]` before a rank is known.
    public var text: String {
        var out = role
        if let rank { out += " rank=\(rank)" } else if let node, !node.isEmpty { out += " node=\(node)" }
        if let generation { out += " gen=\(generation)" }
        return out
    }
}

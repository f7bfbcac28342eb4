/// What a worker or evaluator sends to the coordinator to join the cluster.
///
/// The identity fields (version, digests, parameter count) must equal the coordinator's
/// ``ClusterIdentity`` exactly, or the join is refused naming every field that differs.
public struct JoinRequest: Sendable, Equatable {
    public enum Role: UInt8, Sendable, Equatable, CustomStringConvertible {
        /// Trains on a shard of every global batch and takes a rank on the ring.
        case worker = 0
        /// Evaluates checkpoints beside training; takes no rank.
        case evaluator = 1

        public var description: String { self == .worker ? "worker" : "evaluator" }
    }

    public var role: Role
    /// The program's version string (`cifake --version`).
    public var version: String
    /// Digest of the training configuration (hyper-parameters, seed, batch size).
    public var configDigest: String
    /// Digest of the architecture (layer list and shapes).
    public var architectureDigest: String
    /// Number of fp32 parameters in the flat parameter buffer.
    public var parameterCount: Int
    /// Digest of the packed training data.
    public var dataDigest: String
    /// Host name, for logs ("rank 2 on node-b died").
    public var host: String
    /// ZeroMQ endpoint where this worker's ring receive socket is bound, e.g. `tcp://10.0.0.2:5601`.
    /// Empty for an evaluator.
    public var ringEndpoint: String
    /// A second endpoint of the same ring socket for ring neighbours on this host: a Unix socket
    /// in the abstract namespace (`ipc://@NAME`), which skips the TCP stack. Empty when there is none.
    public var localRingEndpoint: String
    /// Where `localRingEndpoint` can be reached from: the kernel boot and network namespace
    /// (`RingMember.endpoint(from:)` compares them). Empty when unknown.
    public var locality: String
    /// Threads this process computes with (informational).
    public var computeThreads: Int
    /// Stable name of the process across restarts (e.g. host plus slot).
    public var nodeID: String
    /// Grows every time the process with this ``nodeID`` starts: a higher incarnation replaces a
    /// lower one; a lower or equal one from another peer is refused.
    public var incarnation: UInt64
    /// The rank a scheduler gave this worker (Slurm's task id, a Kubernetes completion index):
    /// granted when it is free in the ring the coordinator forms; nil: any rank.
    public var requestedRank: Int?
    /// The process's CURVE public key (Z85), empty on plain TCP. The coordinator replaces it with
    /// the key the connection was authenticated with, and hands it to the ring predecessor.
    public var publicKey: String

    public init(role: Role, version: String, configDigest: String, architectureDigest: String,
                parameterCount: Int, dataDigest: String, host: String, ringEndpoint: String,
                localRingEndpoint: String = "", locality: String = "",
                computeThreads: Int, nodeID: String, incarnation: UInt64, requestedRank: Int? = nil, publicKey: String = "") {
        self.role = role
        self.version = version
        self.configDigest = configDigest
        self.architectureDigest = architectureDigest
        self.parameterCount = parameterCount
        self.dataDigest = dataDigest
        self.host = host
        self.ringEndpoint = ringEndpoint
        self.localRingEndpoint = localRingEndpoint
        self.locality = locality
        self.computeThreads = computeThreads
        self.nodeID = nodeID
        self.incarnation = incarnation
        self.requestedRank = requestedRank
        self.publicKey = publicKey
    }
}

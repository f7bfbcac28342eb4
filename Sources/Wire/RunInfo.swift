import Coordination
/// What a worker needs before it can join: the run's configuration (YAML bytes, as the
/// coordinator runs it) and the packed data set's size and content digest.
public struct RunInfo: Sendable, Equatable {
    public var configuration: [UInt8]
    public var dataBytes: UInt64
    public var dataDigest: UInt64
    /// The checkpoint a resumed run continues from (fetched with `checkpointRequest`); nil for a
    /// run that starts at step 0.
    public var resume: CheckpointOffer?

    public init(configuration: [UInt8], dataBytes: UInt64, dataDigest: UInt64, resume: CheckpointOffer? = nil) {
        self.configuration = configuration
        self.dataBytes = dataBytes
        self.dataDigest = dataDigest
        self.resume = resume
    }
}

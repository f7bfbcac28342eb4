/// What a worker needs before it can join: the run's configuration (YAML bytes, as the
/// coordinator runs it) and the packed data set's size and content digest.
public struct RunInfo: Sendable, Equatable {
    public var configuration: [UInt8]
    public var dataBytes: UInt64
    public var dataDigest: UInt64

    public init(configuration: [UInt8], dataBytes: UInt64, dataDigest: UInt64) {
        self.configuration = configuration
        self.dataBytes = dataBytes
        self.dataDigest = dataDigest
    }
}

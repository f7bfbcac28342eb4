/// The values every process of one training run must agree on, compared field by field at join.
public struct ClusterIdentity: Sendable, Equatable {
    public var version: String
    public var configDigest: String
    public var architectureDigest: String
    public var parameterCount: Int
    public var dataDigest: String

    public init(version: String, configDigest: String, architectureDigest: String,
                parameterCount: Int, dataDigest: String) {
        self.version = version
        self.configDigest = configDigest
        self.architectureDigest = architectureDigest
        self.parameterCount = parameterCount
        self.dataDigest = dataDigest
    }

    /// Every field of `request` that differs from this identity, in a fixed order
    /// (version, configDigest, architectureDigest, parameterCount, dataDigest).
    public func mismatches(in request: JoinRequest) -> [JoinRefusal.Mismatch] {
        var found: [JoinRefusal.Mismatch] = []
        func check(_ field: String, _ mine: String, _ theirs: String) {
            if mine != theirs { found.append(.init(field: field, coordinator: mine, joiner: theirs)) }
        }
        check("version", version, request.version)
        check("configDigest", configDigest, request.configDigest)
        check("architectureDigest", architectureDigest, request.architectureDigest)
        check("parameterCount", String(parameterCount), String(request.parameterCount))
        check("dataDigest", dataDigest, request.dataDigest)
        return found
    }
}

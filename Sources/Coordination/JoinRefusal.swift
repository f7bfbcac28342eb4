/// Why the coordinator refused a join: each field that differs, with both values.
///
/// `description` reads e.g. `configDigest: coordinator has abc123, worker has def456`.
public struct JoinRefusal: Sendable, Equatable, Error, CustomStringConvertible {
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        /// The field's name as in ``JoinRequest`` (or `incarnation`, `workers`, `coordinator`).
        public var field: String
        /// The coordinator's value or limit.
        public var coordinator: String
        /// The joining process's value.
        public var joiner: String

        public init(field: String, coordinator: String, joiner: String) {
            self.field = field
            self.coordinator = coordinator
            self.joiner = joiner
        }

        public var description: String { "\(field): coordinator has \(coordinator), worker has \(joiner)" }
    }

    public var mismatches: [Mismatch]

    public init(_ mismatches: [Mismatch]) { self.mismatches = mismatches }

    public var description: String {
        "join refused: " + mismatches.map(\.description).joined(separator: "; ")
    }
}

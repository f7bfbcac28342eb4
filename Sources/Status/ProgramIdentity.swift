import Foundation

/// Which program this is: its version, the git revision it was built from and the Swift that
/// compiled it. `cifake --version` prints ``line``; `/metrics` labels `cifake_info` with the
/// parts; run folders and model files record them (provenance).
public struct ProgramIdentity: Sendable, Equatable, Codable {
    /// e.g. `cifake 0.2.0 (wire 3)`: processes of different versions never join one run.
    public var version: String
    /// The commit the build was made from (`-dirty` when the checkout had uncommitted changes),
    /// or `unknown` when it was not built from a git checkout.
    public var revision: String
    /// The compiler, e.g. `Swift 6.3`.
    public var swift: String

    public init(version: String, revision: String = "unknown", swift: String = ProgramIdentity.compiler) {
        self.version = version
        self.revision = revision
        self.swift = swift
    }

    /// `cifake 0.2.0 (wire 3), git 0ab382b1c2d3, Swift 6.3`.
    public var line: String { "\(version), git \(revision), \(swift)" }

    /// This process's, set once by `main` (the revision is generated into the executable only,
    /// so that a new commit recompiles one module, not every one that records provenance).
    public static var current: ProgramIdentity {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var value = ProgramIdentity(version: "cifake \(number)")

    /// The release number; `RunIdentity.version` adds the wire format's version to it.
    public static let number = "0.2.0"

    /// The Swift compiler this was built with, to the minor version.
    public static let compiler: String = {
        #if compiler(>=6.5)
        "Swift 6.5 or later"
        #elseif compiler(>=6.4)
        "Swift 6.4"
        #elseif compiler(>=6.3)
        "Swift 6.3"
        #elseif compiler(>=6.2)
        "Swift 6.2"
        #elseif compiler(>=6.1)
        "Swift 6.1"
        #else
        "Swift 6.0"
        #endif
    }()
}

/// The two CIFAKE classes. FAKE (generated) is the positive class, as in the paper.
public enum Label: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case real = 0
    case fake = 1

    /// The folder name in the CIFAKE layout: "REAL" or "FAKE".
    public var folderName: String { self == .real ? "REAL" : "FAKE" }

    public var description: String { folderName }

    /// The label a folder name stands for, matched case-insensitively ("real", "Fake", ...).
    public init?(folderName: String) {
        switch folderName.uppercased() {
        case "REAL": self = .real
        case "FAKE": self = .fake
        default: return nil
        }
    }
}

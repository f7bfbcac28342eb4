/// What the cluster benchmark could not read or measure, naming what was expected and found.
public enum ClusterBenchError: Error, Equatable, CustomStringConvertible {
    /// A tool's output or a file that does not have the expected form.
    case unreadable(what: String, expected: String, found: String)
    /// The step log lacks steps the timed window needs.
    case missingSteps(expected: String, found: String)
    /// An option value that cannot work.
    case invalid(option: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .unreadable(let what, let expected, let found): "\(what): expected \(expected), found \(found)"
        case .missingSteps(let expected, let found): "step log: expected \(expected), found \(found)"
        case .invalid(let option, let expected, let found): "\(option): expected \(expected), found '\(found)'"
        }
    }
}

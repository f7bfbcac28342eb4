#if canImport(Glibc)
import Glibc
#endif

/// Why the status server could not start.
public enum StatusServerError: Error, CustomStringConvertible, Equatable {
    case badAddress(String, String)
    case bind(String, String)
    case system(String, Int32)

    public var description: String {
        switch self {
        case .badAddress(let address, let why): "status server address '\(address)': \(why)"
        case .bind(let address, let why): "status server cannot listen on \(address): \(why)"
        case .system(let call, let code): "status server: \(call) failed: \(String(cString: strerror(code)))"
        }
    }
}

import Foundation
import Status

/// The HTTP status server (/healthz, /status, /metrics) of a process that trains: the
/// coordinator's and single-process `train`'s, configured the same way.
enum StatusEndpoint {
    /// Starts serving when an address is given: `flag` (`--status-listen`), else
    /// `$CIFAKE_STATUS_LISTEN`, else `0.0.0.0:status_port` when the port is set (0, the default:
    /// off). Prints `status on http://HOST:PORT/status` on standard output, which probes and
    /// scripts read as they read the coordinator's "listening on" line.
    static func start(role: String, flag: String?, statusPort: Int) throws -> (server: StatusServer, board: StatusBoard)? {
        let environment = ProcessInfo.processInfo.environment["CIFAKE_STATUS_LISTEN"].flatMap { $0.isEmpty ? nil : $0 }
        guard let address = flag ?? environment ?? (statusPort > 0 ? "0.0.0.0:\(statusPort)" : nil) else { return nil }
        let board = StatusBoard(StatusSnapshot(role: role))
        let server = try StatusServer(listen: address, program: ProgramIdentity.current) { board.snapshot }
        server.start()
        FileHandle.standardOutput.write(Data("status on http://\(server.boundAddress)/status\n".utf8))
        return (server, board)
    }
}

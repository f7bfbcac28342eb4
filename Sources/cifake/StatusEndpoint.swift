import Foundation
import Status

/// The HTTP status server (/healthz, /readyz, /status, /metrics) of any role: the coordinator's,
/// single-process `train`'s, a worker's and an evaluator's, configured the same way.
enum StatusEndpoint {
    /// Starts serving when an address is given: `flag` (`--status-listen`), else
    /// `$CIFAKE_STATUS_LISTEN`, else `0.0.0.0:status_port` when the port is set (0, the default:
    /// off; workers and evaluators pass 0, since status_port is the coordinator's and a
    /// worker on the coordinator's host would clash with it). Prints `status on
    /// http://HOST:PORT/status` on standard output, which probes and scripts read as they read
    /// the coordinator's "listening on" line.
    static func start(_ initial: StatusSnapshot, flag: String?, statusPort: Int = 0) throws -> (server: StatusServer, board: StatusBoard)? {
        let environment = ProcessInfo.processInfo.environment["CIFAKE_STATUS_LISTEN"].flatMap { $0.isEmpty ? nil : $0 }
        guard let address = flag ?? environment ?? (statusPort > 0 ? "0.0.0.0:\(statusPort)" : nil) else { return nil }
        let board = StatusBoard(initial)
        let server = try StatusServer(listen: address, program: ProgramIdentity.current) { board.snapshot }
        server.start()
        FileHandle.standardOutput.write(Data("status on http://\(server.boundAddress)/status\n".utf8))
        return (server, board)
    }

    static func start(role: String, flag: String?, statusPort: Int) throws -> (server: StatusServer, board: StatusBoard)? {
        try start(StatusSnapshot(role: role), flag: flag, statusPort: statusPort)
    }
}

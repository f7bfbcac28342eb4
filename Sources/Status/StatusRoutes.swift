/// What the status server answers, as a pure function of the request and a snapshot. HEAD is
/// answered as GET without the body (probes and `curl -I` use it).
public enum StatusRoutes {
    public static let paths = ["/healthz", "/readyz", "/status", "/metrics"]

    /// - Parameter process: this process's metrics from `/proc` (asked for on `/metrics` only).
    public static func respond(to head: HTTPRequestHead, snapshot: () -> StatusSnapshot, program: ProgramIdentity,
                               process: () -> ProcessMetrics? = { nil }) -> HTTPResponse {
        var response = answer(to: head, snapshot: snapshot, program: program, process: process)
        response.includesBody = head.method != "HEAD"
        return response
    }

    private static func answer(to head: HTTPRequestHead, snapshot: () -> StatusSnapshot, program: ProgramIdentity,
                               process: () -> ProcessMetrics?) -> HTTPResponse {
        guard paths.contains(head.path) else {
            return HTTPResponse(status: 404, body: "not found: \(head.path.prefix(200)) (try \(paths.joined(separator: ", ")))\n")
        }
        guard head.method == "GET" || head.method == "HEAD" else {
            return HTTPResponse(status: 405, body: "method \(head.method.prefix(20)) not allowed: only GET and HEAD\n", headers: [("Allow", "GET, HEAD")])
        }
        switch head.path {
        case "/healthz":
            // Alive: the process answers. Readiness is /readyz.
            return HTTPResponse(status: 200, body: "ok")
        case "/readyz":
            let now = snapshot()
            return now.ready ? HTTPResponse(status: 200, body: "ready")
                : HTTPResponse(status: 503, body: "not ready: \(now.phase) (the data is loading or the port is not listening yet)\n")
        case "/status":
            return HTTPResponse(status: 200, contentType: "application/json", body: StatusJSON.render(snapshot(), program: program))
        default:
            return HTTPResponse(status: 200, contentType: MetricsExposition.contentType,
                                body: MetricsExposition.render(snapshot(), version: program.version, revision: program.revision,
                                                               swift: program.swift, process: process()))
        }
    }
}

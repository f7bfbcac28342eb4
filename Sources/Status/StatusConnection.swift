/// One client of the status server as a pure machine: bytes and the time (seconds on a
/// monotonic clock) go in, what to send and whether it is over come out. The server shell does
/// the socket calls; this decides, so the deadlines and limits are tested without sockets.
///
/// A client has `timeout` seconds from its connection to complete its request head (a whole
/// request deadline: trickling a byte at a time buys nothing), then `timeout` seconds to take the
/// answer, then at most ``lingerSeconds`` in which the server reads and discards what it still
/// sends, so that closing does not reset the connection before the answer was read.
struct StatusConnection {
    enum Phase: Equatable {
        /// Waiting for the request head.
        case reading
        /// Sending the answer (``output`` from ``sent``).
        case writing
        /// The answer is sent and our side shut: discarding what the client still sends.
        case lingering
        /// Nothing more to do: close.
        case done
    }

    static let lingerSeconds = 0.2
    /// What the lingering close reads at most.
    static let lingerBytes = 1 << 16

    let timeout: Double
    let maximumRequestBytes: Int
    private(set) var phase = Phase.reading
    /// When the current phase ends, whatever the client does.
    private(set) var deadline: Double
    private(set) var output: [UInt8] = []
    private(set) var sent = 0
    /// The status answered, once there is an answer (for tests and logs).
    private(set) var status: Int?
    private var received: [UInt8] = []
    /// Bytes of `received` already searched for the headers' end.
    private var scanned = 0
    private var discarded = 0

    init(now: Double, timeout: Double, maximumRequestBytes: Int) {
        self.timeout = timeout
        self.maximumRequestBytes = maximumRequestBytes
        deadline = now + timeout
    }

    var wantsToRead: Bool { phase == .reading || phase == .lingering }
    var wantsToWrite: Bool { phase == .writing }
    /// Bytes the next read may take: the rest of the head's allowance (one more, to see an
    /// oversize head), or a lingering chunk.
    var readAllowance: Int {
        phase == .reading ? maximumRequestBytes - received.count + 1 : Self.lingerBytes - discarded
    }

    /// Bytes from the client; an empty chunk means the client closed its side.
    mutating func receive(_ bytes: ArraySlice<UInt8>, now: Double, answer: (HTTPRequestHead) -> HTTPResponse) {
        switch phase {
        case .reading:
            guard !bytes.isEmpty else { phase = .done; return }  // gone before asking: nothing to answer
            received += bytes
            if let response = Self.answer(received, searchedUpTo: scanned, maximumRequestBytes: maximumRequestBytes, answer: answer) {
                respond(response, now: now)
            } else {
                scanned = received.count
            }
        case .lingering:
            discarded += bytes.count
            if bytes.isEmpty || discarded >= Self.lingerBytes { phase = .done }
        case .writing, .done:
            break
        }
    }

    /// `count` bytes of ``output`` were sent.
    mutating func didSend(_ count: Int, now: Double) {
        guard phase == .writing else { return }
        sent += count
        if sent >= output.count {
            phase = .lingering
            deadline = min(deadline, now + Self.lingerSeconds)
        }
    }

    /// The socket failed (reset, or any error): nothing more can be done.
    mutating func failed() { phase = .done }

    /// Moves on when the phase's deadline has passed: a request that did not arrive in time is
    /// answered 408; an answer not taken in time, or the linger, ends the connection.
    mutating func tick(now: Double) {
        guard now >= deadline else { return }
        switch phase {
        case .reading:
            respond(HTTPResponse(status: 408, body: "no complete request within \(Int(timeout)) s of connecting\n"), now: now)
        case .writing, .lingering:
            phase = .done
        case .done:
            break
        }
    }

    /// Answers at once, whatever was received (a connection evicted at the cap).
    mutating func respond(_ response: HTTPResponse, now: Double) {
        output = response.bytes
        sent = 0
        status = response.status
        phase = .writing
        deadline = now + timeout
    }

    /// The answer to the request head received so far, or nil while it is incomplete and within
    /// `maximumRequestBytes`: a route's answer, 400 for what is not an HTTP/1.x request line, 431
    /// for a head that does not end within the limit. Pure, total: any bytes give one of these.
    ///
    /// - Parameter searchedUpTo: bytes already searched for the headers' end without finding it
    ///   (a client sending a byte at a time costs linear time, not quadratic).
    static func answer(_ received: [UInt8], searchedUpTo: Int = 0, maximumRequestBytes: Int,
                       answer: (HTTPRequestHead) -> HTTPResponse) -> HTTPResponse? {
        // The end is "\r\n\r\n" or "\n\n": it may begin up to 3 bytes before the new ones.
        if HTTPRequestHead.headersEnd(in: received, from: max(0, searchedUpTo - 3)) == nil {
            guard received.count > maximumRequestBytes else { return nil }
            return HTTPResponse(status: 431, body: "request head larger than \(maximumRequestBytes) bytes\n")
        }
        switch HTTPRequestHead.parse(received) {
        case .request(let head): return answer(head)
        case .malformed(let why): return HTTPResponse(status: 400, body: "bad request: \(why)\n")
        case .incomplete: return HTTPResponse(status: 400, body: "bad request: no request head\n")
        }
    }
}

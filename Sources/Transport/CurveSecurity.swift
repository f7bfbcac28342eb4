/// CURVE (libzmq's built-in CurveZMQ: Curve25519 key exchange, XSalsa20-Poly1305 per message)
/// applied to this project's sockets. Roles, whatever the direction of bind and connect:
/// - the coordinator's ROUTER is a CURVE server; workers' control DEALERs are its clients and
///   name the coordinator's public key;
/// - each worker's ring PULL (bound) is a CURVE server; the predecessor's PUSH is its client and
///   names that worker's public key, which it learns from the coordinator's assignment.
/// A CURVE server authenticates clients through the ZAP handler of its context (`ZAPHandler`):
/// without one, libzmq would accept any client key, so servers are only made with a handler.
extension ZMQSocket {
    /// Makes this socket a CURVE server with `keys` (call before `bind`).
    public func makeCurveServer(_ keys: ZMQCurveKeyPair) throws(ZMQError) {
        try set(.curveServer, 1)
        try set(.curveSecretKey, keys.secretKey)
        try set(.curvePublicKey, keys.publicKey)
    }

    /// Makes this socket a CURVE client with `keys`, trusting only a server holding the secret
    /// of `serverPublicKey` (call before `connect`).
    public func makeCurveClient(_ keys: ZMQCurveKeyPair, serverPublicKey: String) throws(ZMQError) {
        try set(.curveServerKey, serverPublicKey)
        try set(.curvePublicKey, keys.publicKey)
        try set(.curveSecretKey, keys.secretKey)
    }
}

extension ZMQCurveKeyPair {
    /// A key pair from a Z85 secret key (the public key is derived); nil if it is not a key.
    public init?(secretKey: String) {
        guard ZMQCurve.decode(secretKey) != nil, let publicKey = try? ZMQCurve.publicKey(fromSecret: secretKey) else { return nil }
        self.init(publicKey: publicKey, secretKey: secretKey)
    }
}

internal import CPrometheusTLS
import PrometheusSystem

/// An OpenSSL context: the certificates, key and verification rules every session made from it
/// shares. Making sessions from several threads is safe (OpenSSL locks what it shares).
package final class TLSContext: @unchecked Sendable {
    /// A protocol version, as the lowest or highest accepted.
    package enum ProtocolVersion: Sendable, Hashable {
        case tls12, tls13

        var number: Int32 { self == .tls12 ? 12 : 13 }
    }

    /// Whether a server asks clients for certificates.
    package enum ClientAuthentication: Int32, Sendable, Hashable {
        case none = 0
        case optional = 1
        case required = 2
    }

    let pointer: UnsafeMutableRawPointer
    /// Whether sessions made from this context are the server side.
    package let isServer: Bool

    private init(pointer: UnsafeMutableRawPointer, isServer: Bool) {
        self.pointer = pointer
        self.isServer = isServer
    }

    deinit {
        prometheus_tls_context_free(pointer)
    }

    /// A server context presenting the PEM `certificateFile` (a chain, leaf first) and
    /// `privateKeyFile`, checking client certificates against `clientCAFile` and/or
    /// `clientCADirectory` (hashed, as `openssl rehash` makes) when `clientAuthentication` is not
    /// `.none`, speaking the protocol versions from `minimumVersion` to `maximumVersion`. Reads the
    /// files now; costs a few milliseconds.
    ///
    /// - Throws: ``TLSSetupError/file(role:path:reason:)`` naming the unusable file.
    package static func server(
        certificateFile: String, privateKeyFile: String, clientCAFile: String?, clientCADirectory: String?,
        clientAuthentication: ClientAuthentication, minimumVersion: ProtocolVersion, maximumVersion: ProtocolVersion
    ) throws(TLSSetupError) -> TLSContext {
        var role: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let made = prometheus_tls_server_context(
            certificateFile, privateKeyFile, clientCAFile, clientCADirectory, clientAuthentication.rawValue,
            minimumVersion.number, maximumVersion.number, &role, &error, error.count)
        guard let made else {
            throw failure(
                role: role, error: error,
                paths: [certificateFile, privateKeyFile, clientCAFile ?? "", clientCADirectory ?? ""])
        }
        return TLSContext(pointer: made, isServer: true)
    }

    /// A client context: verifies servers against `caFile`/`caDirectory` (neither: the system's
    /// store) unless `verifyPeer` is false, and presents `certificateFile` with `privateKeyFile`
    /// (nil: the key is in the certificate file) when a certificate is given.
    ///
    /// - Throws: ``TLSSetupError/file(role:path:reason:)`` naming the unusable file.
    package static func client(
        caFile: String?, caDirectory: String?, certificateFile: String?, privateKeyFile: String?,
        verifyPeer: Bool, minimumVersion: ProtocolVersion
    ) throws(TLSSetupError) -> TLSContext {
        var role: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let made = prometheus_tls_client_context(
            caFile, caDirectory, certificateFile, privateKeyFile, verifyPeer ? 1 : 0, minimumVersion.number, &role,
            &error, error.count)
        guard let made else {
            throw failure(
                role: role, error: error,
                paths: [
                    certificateFile ?? "", privateKeyFile ?? certificateFile ?? "", caFile ?? "", caDirectory ?? "",
                ])
        }
        return TLSContext(pointer: made, isServer: false)
    }

    /// A session on the connected `socket` (not yet handshaken); a client session names
    /// `serverName` for SNI and certificate checks.
    ///
    /// - Returns: nil when OpenSSL is out of memory.
    package func session(on socket: Socket, serverName: String? = nil) -> TLSSession? {
        let made: UnsafeMutableRawPointer? =
            if let serverName {
                prometheus_tls_session(pointer, socket.rawValue, isServer ? 1 : 0, serverName)
            } else {
                prometheus_tls_session(pointer, socket.rawValue, isServer ? 1 : 0, nil)
            }
        return made.map { TLSSession(pointer: $0) }
    }

    private static func failure(role: Int32, error: [CChar], paths: [String]) -> TLSSetupError {
        let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let roles: [Int32: (TLSFileRole, Int)] = [
            Int32(PROMETHEUS_TLS_ROLE_CERTIFICATE): (.certificate, 0),
            Int32(PROMETHEUS_TLS_ROLE_PRIVATE_KEY): (.privateKey, 1),
            Int32(PROMETHEUS_TLS_ROLE_CA_FILE): (.caFile, 2),
            Int32(PROMETHEUS_TLS_ROLE_CA_DIRECTORY): (.caDirectory, 3),
        ]
        guard let (fileRole, index) = roles[role] else { return .failed(reason: reason) }
        return .file(role: fileRole, path: paths[index], reason: reason)
    }
}

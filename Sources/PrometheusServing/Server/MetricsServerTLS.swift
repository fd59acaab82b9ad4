import PrometheusClient

/// HTTPS for the built-in ``MetricsServer``, through the system's OpenSSL: the Python client's
/// `start_http_server(certfile=, keyfile=, client_cafile=, client_capath=, client_auth_required=,
/// tls_min_version=, tls_max_version=)`. Unlike Python, versions below TLS 1.2 are not offered.
///
/// ```swift
/// var options = MetricsServerOptions()
/// options.tls = MetricsServerTLS(certificateFile: "/etc/metrics/server.pem", privateKeyFile: "/etc/metrics/server.key")
/// ```
///
/// The files are read when the server starts (a wrong or missing file is a
/// ``ServingError/tlsFileUnusable(role:path:reason:)`` naming it) and re-read when they change, so
/// a renewed certificate is served to new connections without a restart.
public struct MetricsServerTLS: Sendable, Hashable {
    /// Whether clients are asked for a certificate.
    public enum ClientAuthentication: Sendable, Hashable {
        /// Clients are not asked (the default).
        case none
        /// Clients may present a certificate; one that does not verify against the CA is refused.
        case optional
        /// Clients must present a certificate that verifies against the CA.
        case required
    }

    /// The lowest protocol version accepted.
    public enum MinimumVersion: Sendable, Hashable {
        /// TLS 1.2 and 1.3 (the default).
        case tls12
        /// TLS 1.3 only.
        case tls13
    }

    /// The highest protocol version accepted (Python 0.26's `tls_max_version`).
    public enum MaximumVersion: Sendable, Hashable {
        /// TLS 1.2 at most (with a TLS 1.3 minimum, refused when the server starts).
        case tls12
        /// Up to TLS 1.3 (the default).
        case tls13
    }

    /// The server certificate, PEM: the leaf first, then any intermediates.
    public var certificateFile: String
    /// The private key of the certificate, PEM (unencrypted).
    public var privateKeyFile: String
    /// PEM file of the authorities client certificates must chain to.
    public var clientCAFile: String?
    /// Directory of authorities in OpenSSL's hashed layout (`openssl rehash DIR`).
    public var clientCADirectory: String?
    /// Whether clients are asked for certificates; a CA file or directory is needed unless `.none`.
    public var clientAuthentication: ClientAuthentication
    /// The lowest protocol version accepted.
    public var minimumVersion: MinimumVersion
    /// The highest protocol version accepted; not below ``minimumVersion``.
    public var maximumVersion: MaximumVersion
    /// Seconds between checks of the certificate and key files for changes (a `stat` of each);
    /// changed files are loaded for new connections, and a failed load keeps the previous pair.
    /// nil: never reload. Default 10.
    public var reloadInterval: Double?

    /// HTTPS with `certificateFile` and `privateKeyFile`; client certificates as given.
    public init(
        certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil, clientCADirectory: String? = nil,
        clientAuthentication: ClientAuthentication = .none, minimumVersion: MinimumVersion = .tls12,
        maximumVersion: MaximumVersion = .tls13, reloadInterval: Double? = 10
    ) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
        self.clientCADirectory = clientCADirectory
        self.clientAuthentication = clientAuthentication
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.reloadInterval = reloadInterval
    }

    /// Checks the combination of settings (the files themselves are checked at start).
    ///
    /// - Throws: ``ServingError/invalidOption(name:reason:)``.
    func validate() throws(ServingError) {
        if clientAuthentication != .none && clientCAFile == nil && clientCADirectory == nil {
            throw .invalidOption(
                name: "tls.clientAuthentication",
                reason: "client certificates need clientCAFile or clientCADirectory to check them against")
        }
        if minimumVersion == .tls13 && maximumVersion == .tls12 {
            throw .invalidOption(
                name: "tls.maximumVersion",
                reason: "TLS 1.2 is below the minimum version, TLS 1.3; raise it or lower the minimum")
        }
        if let reloadInterval, !(reloadInterval > 0 && reloadInterval <= 86_400) {
            throw .invalidOption(
                name: "tls.reloadInterval", reason: "must be between 0 and 86400 seconds, got \(reloadInterval)")
        }
    }
}

/// The `--tls-*` options that the package's programs (`prefork-demo`, `prometheus-multiproc
/// serve`) share for serving metrics over HTTPS, parsed into a ``MetricsServerTLS``.
///
/// ```swift
/// var flags = TLSCommandLineOptions()
/// _ = try flags.accept("--tls-cert", value: "server.pem")
/// _ = try flags.accept("--tls-key", value: "server.key")
/// let tls = try flags.serverTLS()  // nil when no --tls-* option was given
/// ```
///
/// With `--tls-client-ca` and no `--tls-client-auth`, client certificates are optional: one that
/// is presented must verify, none is needed.
public struct TLSCommandLineOptions: Sendable, Hashable {
    /// The options' help text, for a program's usage.
    public static let usage = """
          --tls-cert FILE         serve HTTPS with this PEM certificate (leaf first; needs --tls-key).
          --tls-key FILE          the certificate's PEM private key.
          --tls-client-ca FILE    check client certificates against this PEM CA file.
          --tls-client-auth MODE  optional (default with --tls-client-ca) or required.
          --tls-min-version V     the lowest TLS version accepted: 1.2 (default) or 1.3.
          --tls-max-version V     the highest TLS version accepted: 1.2 or 1.3 (default).
        """

    private var certificateFile: String?
    private var privateKeyFile: String?
    private var clientCAFile: String?
    private var clientAuthentication: MetricsServerTLS.ClientAuthentication?
    private var minimumVersion: MetricsServerTLS.MinimumVersion?
    private var maximumVersion: MetricsServerTLS.MaximumVersion?
    private static let options = [
        "--tls-cert", "--tls-key", "--tls-client-ca", "--tls-client-auth", "--tls-min-version", "--tls-max-version",
    ]

    /// No TLS options yet.
    public init() {}

    /// Takes `option` with its `value` when it is one of the TLS options.
    ///
    /// - Returns: whether `option` was a TLS option (false: the caller handles it).
    /// - Throws: ``ServingError/invalidOption(name:reason:)`` when the value is missing or invalid.
    public mutating func accept(_ option: String, value: String?) throws(ServingError) -> Bool {
        guard Self.options.contains(option) else { return false }
        guard let value, !value.isEmpty else { throw .invalidOption(name: option, reason: "needs a value") }
        switch option {
        case "--tls-cert": certificateFile = value
        case "--tls-key": privateKeyFile = value
        case "--tls-client-ca": clientCAFile = value
        case "--tls-min-version", "--tls-max-version":
            guard value == "1.2" || value == "1.3" else {
                throw .invalidOption(name: option, reason: "needs 1.2 or 1.3, got \(value)")
            }
            if option == "--tls-min-version" {
                minimumVersion = value == "1.2" ? .tls12 : .tls13
            } else {
                maximumVersion = value == "1.2" ? .tls12 : .tls13
            }
        default:
            switch value {
            case "optional": clientAuthentication = .optional
            case "required": clientAuthentication = .required
            default: throw .invalidOption(name: option, reason: "needs optional or required, got \(value)")
            }
        }
        return true
    }

    /// The server TLS the options describe, or nil when none was given.
    ///
    /// - Throws: ``ServingError/invalidOption(name:reason:)`` for an incomplete combination
    ///   (a certificate without a key, client options without a certificate).
    public func serverTLS() throws(ServingError) -> MetricsServerTLS? {
        guard let certificateFile else {
            if privateKeyFile != nil || clientCAFile != nil || clientAuthentication != nil || minimumVersion != nil
                || maximumVersion != nil
            {
                throw .invalidOption(name: "--tls-cert", reason: "the other --tls-* options need a certificate")
            }
            return nil
        }
        guard let privateKeyFile else {
            throw .invalidOption(name: "--tls-key", reason: "--tls-cert needs the certificate's private key")
        }
        let tls = MetricsServerTLS(
            certificateFile: certificateFile, privateKeyFile: privateKeyFile, clientCAFile: clientCAFile,
            clientAuthentication: clientAuthentication ?? (clientCAFile == nil ? .none : .optional),
            minimumVersion: minimumVersion ?? .tls12, maximumVersion: maximumVersion ?? .tls13)
        try tls.validate()
        return tls
    }
}

import PrometheusClient
import PrometheusSystem
import PrometheusTLS

/// The server's current TLS context, and its reload when the certificate or key files change.
/// Used by the event loop thread only.
final class ServerTLSIdentity {
    private let configuration: MetricsServerTLS
    private(set) var context: TLSContext
    private var stamps: [FileStatus?]
    private var nextCheck: Double
    /// The reason the latest reload failed, if it did (the previous context stays in use).
    private(set) var lastReloadFailure: ServingError?

    /// Loads the files now.
    ///
    /// - Throws: ``ServingError/tlsFileUnusable(role:path:reason:)`` naming the unusable file.
    init(_ configuration: MetricsServerTLS) throws(ServingError) {
        try configuration.validate()
        self.configuration = configuration
        stamps = Self.stamps(of: configuration)
        context = try Self.load(configuration)
        nextCheck = SystemClock.monotonic() + (configuration.reloadInterval ?? 0)
    }

    /// Reloads when the interval has passed and a file changed.
    ///
    /// - Returns: whether a new context was loaded.
    @discardableResult
    func reloadIfChanged(now: Double) -> Bool {
        guard let interval = configuration.reloadInterval, now >= nextCheck else { return false }
        nextCheck = now + interval
        let current = Self.stamps(of: configuration)
        guard current != stamps else { return false }
        do {
            context = try Self.load(configuration)
            stamps = current
            lastReloadFailure = nil
            return true
        } catch {
            // A half-written pair (the certificate replaced before the key) fails here and is
            // retried at the next check, since the stamps were not taken.
            lastReloadFailure = error
            return false
        }
    }

    private static func stamps(of configuration: MetricsServerTLS) -> [FileStatus?] {
        [configuration.certificateFile, configuration.privateKeyFile].map { try? FileSystem.status(ofPath: $0) }
    }

    private static func load(_ configuration: MetricsServerTLS) throws(ServingError) -> TLSContext {
        do {
            return try TLSContext.server(
                certificateFile: configuration.certificateFile, privateKeyFile: configuration.privateKeyFile,
                clientCAFile: configuration.clientCAFile, clientCADirectory: configuration.clientCADirectory,
                clientAuthentication: configuration.clientAuthentication.tlsValue,
                minimumVersion: configuration.minimumVersion == .tls12 ? .tls12 : .tls13,
                maximumVersion: configuration.maximumVersion == .tls12 ? .tls12 : .tls13)
        } catch {
            switch error {
            case .file(let role, let path, let reason):
                throw .tlsFileUnusable(role: role.rawValue, path: path, reason: reason)
            case .failed(let reason):
                throw .tlsSetupFailed(reason: reason)
            }
        }
    }
}

extension MetricsServerTLS.ClientAuthentication {
    fileprivate var tlsValue: TLSContext.ClientAuthentication {
        switch self {
        case .none: .none
        case .optional: .optional
        case .required: .required
        }
    }
}

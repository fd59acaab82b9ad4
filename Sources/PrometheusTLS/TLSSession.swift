internal import CPrometheusTLS
import PrometheusSystem

/// One TLS connection over a non-blocking socket. Not thread-safe: one thread drives it. Closing
/// the socket stays the owner's job.
package final class TLSSession {
    /// What a non-blocking step did.
    package enum Progress: Equatable {
        /// This many bytes moved (a handshake: 1 when done); 0 from a read: the peer closed.
        case done(Int)
        /// Wait until the socket is readable, then repeat the same call.
        case wantRead
        /// Wait until the socket is writable, then repeat the same call.
        case wantWrite
        /// The connection is unusable; ``lastError()`` says why.
        case failed
    }

    private let pointer: UnsafeMutableRawPointer

    init(pointer: UnsafeMutableRawPointer) {
        self.pointer = pointer
    }

    deinit {
        prometheus_tls_session_free(pointer)
    }

    /// Advances the handshake.
    package func handshake() -> Progress {
        Self.progress(prometheus_tls_handshake(pointer))
    }

    /// Reads decrypted bytes into `buffer`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        Self.progress(prometheus_tls_read(pointer, buffer.baseAddress, Int32(clamping: buffer.count)))
    }

    /// Writes what it can of `bytes`; repeat a `.wantRead`/`.wantWrite` with the same bytes.
    package func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        Self.progress(prometheus_tls_write(pointer, bytes.baseAddress, Int32(clamping: bytes.count)))
    }

    /// Sends close_notify without waiting for the answer.
    package func shutdown() {
        prometheus_tls_shutdown(pointer)
    }

    /// Whether the peer presented a certificate that verified.
    package var peerVerified: Bool { prometheus_tls_peer_verified(pointer) == 1 }

    /// The negotiated protocol, e.g. `TLSv1.3`.
    package var protocolVersion: String { String(cString: prometheus_tls_protocol(pointer)) }

    /// Why the latest step failed (OpenSSL's reason, the certificate check's); read once.
    package func lastError() -> String {
        var error = [CChar](repeating: 0, count: 512)
        prometheus_tls_last_error(pointer, &error, error.count)
        return String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func progress(_ result: Int32) -> Progress {
        switch result {
        case Int32(PROMETHEUS_TLS_WANT_READ): return .wantRead
        case Int32(PROMETHEUS_TLS_WANT_WRITE): return .wantWrite
        case ..<0: return .failed
        default: return .done(Int(result))
        }
    }
}

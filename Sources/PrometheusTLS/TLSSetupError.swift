/// Why a TLS context could not be made: one of its files is unusable, or OpenSSL failed.
package enum TLSSetupError: Error, Sendable, Hashable {
    /// The file (or directory) in `role` at `path` cannot be used; `reason` is OpenSSL's.
    case file(role: TLSFileRole, path: String, reason: String)
    /// Anything else (out of memory, a protocol version the library does not offer).
    case failed(reason: String)
}

/// What a file given to a TLS context is for.
package enum TLSFileRole: String, Sendable, Hashable {
    case certificate = "certificate"
    case privateKey = "private key"
    case caFile = "CA file"
    case caDirectory = "CA directory"
}

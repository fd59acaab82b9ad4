#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The shared directory of multiprocess mode, validated.
public struct MultiprocessDirectory: Sendable, Hashable {
    /// The directory path as configured.
    public let path: String

    /// Validates `path`: it must be non-empty and an existing directory, readable, and (when
    /// `forWriting`) writable.
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` naming the path and the reason.
    public init(path: String, forWriting: Bool) throws(MultiprocessError) {
        guard !path.isEmpty else {
            throw .invalidDirectory(
                path: path, reason: "the setting is empty; set PROMETHEUS_MULTIPROC_DIR to a directory path")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "it does not exist" : String(cString: strerror(errno))
            throw .invalidDirectory(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .invalidDirectory(path: path, reason: "it is not a directory")
        }
        guard access(path, R_OK | X_OK) == 0 else {
            throw .invalidDirectory(path: path, reason: "it is not readable: \(String(cString: strerror(errno)))")
        }
        if forWriting, access(path, W_OK) != 0 {
            throw .invalidDirectory(path: path, reason: "it is not writable: \(String(cString: strerror(errno)))")
        }
        self.path = path
    }

    /// The directory a master should read when none is given: `PROMETHEUS_MULTIPROC_DIR`, or the
    /// deprecated lower-case `prometheus_multiproc_dir` (with a warning on standard error).
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when neither is set, or the directory is unusable.
    public static func fromEnvironment(forWriting: Bool) throws(MultiprocessError) -> MultiprocessDirectory {
        guard let path = environmentPath(warn: true) else {
            throw .invalidDirectory(
                path: "", reason: "no directory given and PROMETHEUS_MULTIPROC_DIR is not set")
        }
        return try MultiprocessDirectory(path: path, forWriting: forWriting)
    }

    /// The directory named by the environment; present but empty counts (and is rejected later), as
    /// the presence of the variable is what selects multiprocess mode in the Python client.
    static func environmentPath(warn: Bool) -> String? {
        if let path = getenv("PROMETHEUS_MULTIPROC_DIR") {
            return String(cString: path)
        }
        if let path = getenv("prometheus_multiproc_dir") {
            if warn {
                DiagnosticLog.write("prometheus_multiproc_dir is deprecated, set PROMETHEUS_MULTIPROC_DIR instead")
            }
            return String(cString: path)
        }
        return nil
    }

    /// The path of a file in the directory.
    public func file(named name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }
}

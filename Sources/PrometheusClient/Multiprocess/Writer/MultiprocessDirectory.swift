import PrometheusSystem

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
        let status: FileStatus
        do {
            status = try FileSystem.status(ofPath: path)
        } catch {
            throw .invalidDirectory(
                path: path, reason: error == .noSuchFileOrDirectory ? "it does not exist" : "\(error)")
        }
        guard status.kind == .directory else {
            throw .invalidDirectory(path: path, reason: "it is not a directory")
        }
        do {
            try FileSystem.checkAccess(path, [.read, .execute])
        } catch {
            throw .invalidDirectory(path: path, reason: "it is not readable: \(error)")
        }
        if forWriting {
            do {
                try FileSystem.checkAccess(path, .write)
            } catch {
                throw .invalidDirectory(path: path, reason: "it is not writable: \(error)")
            }
        }
        self.path = path
    }

    /// The directory a master should read when none is given: the process configuration's
    /// (``PrometheusConfiguration/multiprocessDirectory``: `PROMETHEUS_MULTIPROC_DIR`, or the
    /// deprecated lower-case `prometheus_multiproc_dir`, read from the environment once).
    ///
    /// - Throws: `MultiprocessError.invalidDirectory` when neither is set, or the directory is unusable.
    public static func fromEnvironment(forWriting: Bool) throws(MultiprocessError) -> MultiprocessDirectory {
        guard let path = PrometheusConfiguration.process.multiprocessDirectory else {
            throw .invalidDirectory(
                path: "", reason: "no directory given and PROMETHEUS_MULTIPROC_DIR is not set")
        }
        return try MultiprocessDirectory(path: path, forWriting: forWriting)
    }

    /// The path of a file in the directory.
    public func file(named name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }
}

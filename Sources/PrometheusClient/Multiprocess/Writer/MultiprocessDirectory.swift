import PrometheusSystem

/// The shared directory of multiprocess mode, validated.
public struct MultiprocessDirectory: Sendable, Hashable {
    /// The directory path as configured.
    public let path: String
    /// The file system it is on.
    public let fileSystem: MultiprocessFileSystem

    /// Validates `path`: it must be non-empty and an existing directory, readable, (when
    /// `forWriting`) writable, and on a file system multiprocess mode can trust
    /// (``MultiprocessFileSystem``) unless `unsafeFileSystems` says to use it anyway.
    ///
    /// - Parameter unsafeFileSystems: what to do on an unsafe file system; nil follows the process
    ///   configuration (``PrometheusConfiguration/allowsUnsafeFileSystem``: refuse unless
    ///   `PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM` is set).
    /// - Throws: `MultiprocessError.invalidDirectory` naming the path and the reason,
    ///   `MultiprocessError.unsafeFileSystem` naming the file system.
    public init(
        path: String, forWriting: Bool, unsafeFileSystems: UnsafeFileSystemPolicy? = nil
    ) throws(MultiprocessError) {
        try self.init(path: path, forWriting: forWriting, unsafeFileSystems: unsafeFileSystems, fileSystem: nil)
    }

    /// Validates `path` as the public initializer does, judging `fileSystem` instead of the one
    /// `statfs` reports when given (tests simulate file systems they cannot mount).
    package init(
        path: String, forWriting: Bool, unsafeFileSystems: UnsafeFileSystemPolicy?,
        fileSystem simulated: MultiprocessFileSystem?
    ) throws(MultiprocessError) {
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
        let fileSystem =
            simulated ?? (try? MultiprocessFileSystem.of(path)) ?? MultiprocessFileSystem(typeIdentifier: 0)
        if let reason = fileSystem.unsafeReason {
            let policy =
                unsafeFileSystems ?? (PrometheusConfiguration.process.allowsUnsafeFileSystem ? .warn : .refuse)
            guard policy == .warn else {
                throw .unsafeFileSystem(path: path, fileSystem: fileSystem.name, reason: reason)
            }
            PrometheusDiagnostics.report(
                .writer,
                "multiprocess directory \(path) is on \(fileSystem.name), used anyway as configured: \(reason); values may be lost or wrong"
            )
        }
        self.path = path
        self.fileSystem = fileSystem
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

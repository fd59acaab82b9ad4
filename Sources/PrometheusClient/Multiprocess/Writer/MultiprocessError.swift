public import PrometheusSystem

/// Problems with multiprocess mode's directory and files.
public enum MultiprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured directory cannot be used; `reason` says why (missing, not a directory, not
    /// writable, empty setting).
    case invalidDirectory(path: String, reason: String)
    /// A file in the directory could not be created, grown, mapped, read or written.
    case fileFailure(path: String, operation: String, errno: Errno)
    /// A file of the directory holds what its writer cannot reuse or a reader cannot take in (not a
    /// regular file, a corrupt header or entry); `problem` says what.
    case unusableFile(path: String, problem: DBFileError)
    /// A file would grow past a limit: the 1 GiB a writer reserves per file, or the process's
    /// `RLIMIT_FSIZE` (exceeding which would raise SIGXFSZ).
    case fileTooLarge(path: String, size: Int, limit: Int, limitName: String)
    /// A file was used after its writer closed it (after `fork()` or a storage failure).
    case fileClosed(path: String)
    /// Multiprocess mode was configured after metrics had already been created with another store.
    case configuredTooLate(String)
    /// A process identifier that cannot name a process's files (empty, `archive`, or containing `/`
    /// or `_`).
    case invalidProcessIdentifier(String, reason: String)
    /// The writer identity is held by another live process of the directory (its lease is locked).
    case identityInUse(String, path: String)
    /// Every slot of ``WriterIdentity/firstFreeSlot(below:)`` is held by a live process.
    case noFreeSlot(count: Int, path: String)
    /// The directory is on a file system whose shared mappings or locks multiprocess mode cannot
    /// trust (see ``MultiprocessFileSystem``).
    case unsafeFileSystem(path: String, fileSystem: String, reason: String)
    /// Another live master has claimed the directory with ``MultiprocessGeneration/claim(path:previousRun:)``.
    case directoryClaimed(path: String, holder: String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidDirectory(let path, let reason):
            return "multiprocess directory \"\(path)\" cannot be used: \(reason)"
        case .fileFailure(let path, let operation, let errno):
            return "multiprocess file \(path): \(operation) failed: \(errno)"
        case .unusableFile(let path, let problem):
            return "multiprocess file \(path) cannot be used: \(problem); move it out of the directory"
        case .fileTooLarge(let path, let size, let limit, let limitName):
            return "multiprocess file \(path) would grow to \(size) bytes, over \(limitName) of \(limit) bytes"
        case .fileClosed(let path):
            return "multiprocess file \(path) was used after it was closed"
        case .configuredTooLate(let detail):
            return "multiprocess mode must be configured before any metric is created: \(detail)"
        case .invalidProcessIdentifier(let identifier, let reason):
            return "\"\(identifier)\" cannot identify a process's multiprocess files: \(reason)"
        case .identityInUse(let identity, let path):
            return
                "writer identity \"\(identity)\" is held by another live process in \(path); give each process its own identity"
        case .noFreeSlot(let count, let path):
            return "all \(count) writer slots of \(path) are held by live processes; allow more slots"
        case .unsafeFileSystem(let path, let fileSystem, let reason):
            return
                "multiprocess directory \(path) is on \(fileSystem): \(reason); use a local file system such as tmpfs (/dev/shm), or allow it with UnsafeFileSystemPolicy.warn (PROMETHEUS_MULTIPROC_ALLOW_UNSAFE_FILESYSTEM=1)"
        case .directoryClaimed(let path, let holder):
            return
                "multiprocess directory \(path) is already claimed by a live master (\(holder)); run one master per directory"
        }
    }
}

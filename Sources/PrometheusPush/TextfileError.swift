import PrometheusClient
public import PrometheusSystem

/// Why writing a metrics file for node_exporter's textfile collector failed. The previous file, if
/// any, is left untouched and no temporary file is left behind.
public enum TextfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The directory that should hold the file (or the temporary file) does not exist.
    case directoryMissing(String)
    /// A part of the path that should be a directory is a regular file or something else.
    case notADirectory(String)
    /// The target path names a directory, which cannot be replaced by a file.
    case targetIsADirectory(String)
    /// The process may not create or replace files there (permissions, read-only file system).
    case permissionDenied(path: String, operation: String)
    /// The temporary directory is on another file system than the target, so the file cannot be
    /// renamed into place atomically.
    case crossDevice(temporary: String, target: String)
    /// A system call failed for another reason (disk full, I/O error, ...).
    case ioFailed(path: String, operation: String, errno: Errno)
    /// Collecting the metrics failed, so the previous file was kept.
    case collectionFailed(String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .directoryMissing(let path):
            return "cannot write the metrics file: directory \(path) does not exist; create it first"
        case .notADirectory(let path):
            return "cannot write the metrics file: a part of \(path) is not a directory"
        case .targetIsADirectory(let path):
            return "cannot write the metrics file: \(path) is a directory; give a file path ending in .prom"
        case .permissionDenied(let path, let operation):
            return "cannot \(operation) \(path): permission denied (check the owner and mode of the directory)"
        case .crossDevice(let temporary, let target):
            return
                "cannot rename \(temporary) to \(target): they are on different file systems; put the temporary directory next to the file"
        case .ioFailed(let path, let operation, let errno):
            return "cannot \(operation) \(path): \(errno)"
        case .collectionFailed(let reason):
            return "collecting metrics failed, the previous metrics file was kept: \(reason)"
        }
    }
}

public import PrometheusSystem

/// Why a multiprocess `.db` file, or one entry of it, cannot be merged. The collector skips what it
/// cannot read, logs the reason once, counts it in its self-metrics and serves everything else.
public enum DBFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, errno: Errno)
    /// The file was listed but no longer exists (its writer or the archiver removed it since).
    case missing(path: String)
    /// The name is a FIFO, socket, device, directory or other file that is not a regular file (such
    /// files are never opened for reading, so they cannot block or feed endless bytes).
    case notARegularFile(path: String, kind: String)
    /// A symbolic link whose target does not exist.
    case danglingSymbolicLink(path: String)
    /// A directory entry ending in `.db` whose name is not valid UTF-8 (shown with invalid bytes
    /// replaced), so it cannot be a metrics file.
    case invalidFileName(String)
    /// The file is shorter than its 8-byte header.
    case tooShort(size: Int)
    /// The header's `used` is smaller than the header, negative, or larger than the file.
    case usedOutOfRange(used: Int, size: Int)
    /// An entry's key length runs past `used`.
    case entryOutOfRange(offset: Int, keyLength: Int, used: Int)
    /// An entry is larger than the reader's window, which bounds the memory a merge may use.
    case entryTooLarge(offset: Int, size: Int, limit: Int)
    /// An entry's key is not the JSON array `[family, sample, {labels}, help]`.
    case invalidKey(offset: Int, reason: String)
    /// An entry's key is valid JSON but cannot be a series of the file's kind (an empty or reserved
    /// name, a sample name that does not fit the file, a bucket without a numeric `le`, a family that
    /// another file gives another type): the entry is skipped, the rest of the file is served.
    case invalidEntry(offset: Int, reason: String)
    /// A `.db` file whose name is not `<type>_<pid>.db` or `gauge_<mode>_<pid>.db`.
    case foreignName(fileName: String)

    /// A message that says where the file is broken.
    public var description: String {
        switch self {
        case .unreadable(let path, let errno):
            return "cannot read \(path): \(errno)"
        case .missing(let path):
            return "\(path) does not exist (removed after it was listed)"
        case .notARegularFile(let path, let kind):
            return "\(path) is \(kind), not a regular file"
        case .danglingSymbolicLink(let path):
            return "\(path) is a symbolic link to a file that does not exist"
        case .invalidFileName(let name):
            return "the file name \(name.debugDescription) is not valid UTF-8"
        case .tooShort(let size):
            return "file has \(size) bytes, fewer than its 8-byte header"
        case .usedOutOfRange(let used, let size):
            return "header says \(used) bytes are used, but the file has \(size) (at least 8 required)"
        case .entryOutOfRange(let offset, let keyLength, let used):
            return "entry at offset \(offset) has a key of \(keyLength) bytes, which runs past the used size \(used)"
        case .entryTooLarge(let offset, let size, let limit):
            return "entry at offset \(offset) has \(size) bytes, more than the reader's limit of \(limit)"
        case .invalidKey(let offset, let reason):
            return "entry at offset \(offset) has an invalid key: \(reason)"
        case .invalidEntry(let offset, let reason):
            return "entry at offset \(offset) was skipped: \(reason)"
        case .foreignName(let fileName):
            return "\(fileName) is not named <type>_<pid>.db or gauge_<mode>_<pid>.db, so it is not a metrics file"
        }
    }
}

/// Why a multiprocess `.db` file (or part of it) cannot be read. The collector skips such a file,
/// logs the reason and serves everything else.
public enum DBFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, errno: Int32)
    /// The file is shorter than its 8-byte header (0-byte files are skipped silently, not reported).
    case tooShort(size: Int)
    /// The header's `used` is smaller than the header or larger than the file.
    case usedOutOfRange(used: Int, size: Int)
    /// An entry's key length runs past `used`.
    case entryOutOfRange(offset: Int, keyLength: Int, used: Int)
    /// An entry's key is not the JSON array `[family, sample, {labels}, help]`.
    case invalidKey(offset: Int, reason: String)
    /// A `.db` file whose name is not `<type>_<pid>.db` or `gauge_<mode>_<pid>.db`.
    case foreignName(fileName: String)

    /// A message that says where the file is broken.
    public var description: String {
        switch self {
        case .unreadable(let path, let errno):
            return "cannot read \(path): errno \(errno)"
        case .tooShort(let size):
            return "file has \(size) bytes, fewer than its 8-byte header"
        case .usedOutOfRange(let used, let size):
            return "header says \(used) bytes are used, but the file has \(size) (at least 8 required)"
        case .entryOutOfRange(let offset, let keyLength, let used):
            return "entry at offset \(offset) has a key of \(keyLength) bytes, which runs past the used size \(used)"
        case .invalidKey(let offset, let reason):
            return "entry at offset \(offset) has an invalid key: \(reason)"
        case .foreignName(let fileName):
            return "\(fileName) is not named <type>_<pid>.db or gauge_<mode>_<pid>.db, so it is not a metrics file"
        }
    }
}

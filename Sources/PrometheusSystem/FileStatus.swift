internal import Glibc

/// What `stat(2)` says about a file: its kind, size, identity and modification time.
package struct FileStatus: Sendable, Hashable {
    /// The kinds of file a directory entry can name.
    package enum Kind: Sendable, Hashable, CustomStringConvertible {
        case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .directory
            case S_IFLNK: self = .symbolicLink
            case S_IFIFO: self = .fifo
            case S_IFSOCK: self = .socket
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            default: self = .unknown
            }
        }

        /// A phrase for messages: "a FIFO", "a directory", ...
        package var description: String {
            switch self {
            case .regular: return "a regular file"
            case .directory: return "a directory"
            case .symbolicLink: return "a symbolic link"
            case .fifo: return "a FIFO"
            case .socket: return "a socket"
            case .characterDevice: return "a character device"
            case .blockDevice: return "a block device"
            case .unknown: return "a file of unknown type"
            }
        }
    }

    package var kind: Kind
    /// Size in bytes.
    package var size: Int
    /// The device and inode numbers that identify the file.
    package var device: UInt64
    package var inode: UInt64
    /// How many directory entries name the file (`st_nlink`): 0 once every name is deleted while
    /// the file is still open.
    package var linkCount: Int
    /// The permission bits (`st_mode & 0o7777`).
    package var permissions: UInt32
    /// Modification time, in seconds and nanoseconds since the epoch.
    package var modificationSeconds: Int
    package var modificationNanoseconds: Int
    /// Status change time (`st_ctim`) as fractional seconds since the epoch: it moves with every
    /// write, truncation, rename or permission change, and cannot be set back by a user.
    package var changeTime: Double

    init(_ raw: stat) {
        kind = Kind(mode: raw.st_mode)
        size = Int(raw.st_size)
        device = UInt64(raw.st_dev)
        inode = UInt64(raw.st_ino)
        linkCount = Int(raw.st_nlink)
        permissions = UInt32(raw.st_mode) & 0o7777
        modificationSeconds = Int(raw.st_mtim.tv_sec)
        modificationNanoseconds = Int(raw.st_mtim.tv_nsec)
        changeTime = Double(raw.st_ctim.tv_sec) + Double(raw.st_ctim.tv_nsec) / 1e9
    }

    /// The modification time as fractional seconds.
    package var modificationTime: Double {
        Double(modificationSeconds) + Double(modificationNanoseconds) / 1e9
    }
}

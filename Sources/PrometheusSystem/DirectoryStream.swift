internal import Glibc

/// The entries of a directory, as `readdir(3)` gives them: raw name bytes (not necessarily UTF-8),
/// inode number and, where the file system tells, the entry's kind. No `stat` per entry.
package enum DirectoryStream {
    /// One directory entry.
    package struct Entry: Sendable {
        /// The name's bytes, without the terminating NUL.
        package var name: [UInt8]
        package var inode: UInt64
        /// The kind `readdir` reported, nil when the file system does not say (`DT_UNKNOWN`).
        package var kind: FileStatus.Kind?
    }

    /// The entries of `path` for which `keep` returns true, except `.` and `..`, in directory order.
    /// `keep` sees the name's bytes before any array is made of them.
    ///
    /// - Throws: the `Errno` of `opendir(3)` or `readdir(3)`.
    package static func entries(of path: String, keeping keep: (UnsafeRawBufferPointer) -> Bool) throws(Errno)
        -> [Entry]
    {
        guard let stream = opendir(path) else { throw Errno.current }
        defer { closedir(stream) }
        var result: [Entry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Errno.current }
                return result
            }
            let kept: [UInt8]? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let name = UnsafeRawBufferPointer(rebasing: raw.prefix { $0 != 0 })
                if name.elementsEqual(".".utf8) || name.elementsEqual("..".utf8) { return nil }
                return keep(name) ? Array(name) : nil
            }
            if let kept {
                result.append(Entry(name: kept, inode: UInt64(entry.pointee.d_ino), kind: kind(entry.pointee.d_type)))
            }
        }
    }

    private static func kind(_ type: UInt8) -> FileStatus.Kind? {
        switch Int32(type) {
        case Int32(DT_REG): return .regular
        case Int32(DT_DIR): return .directory
        case Int32(DT_LNK): return .symbolicLink
        case Int32(DT_FIFO): return .fifo
        case Int32(DT_SOCK): return .socket
        case Int32(DT_CHR): return .characterDevice
        case Int32(DT_BLK): return .blockDevice
        default: return nil
        }
    }
}

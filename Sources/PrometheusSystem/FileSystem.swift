internal import CPrometheusSystemCalls
internal import Glibc

/// Operations on paths: status, deletion, renaming, access checks, directory durability.
package enum FileSystem {
    /// The status of the file `path` names, following symbolic links.
    ///
    /// - Throws: the `Errno` of `stat(2)`.
    package static func status(ofPath path: String) throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try retryingInterrupts { stat(path, &raw) }
        return FileStatus(raw)
    }

    /// The type of the file system `path` is on: `statfs(2)`'s `f_type` magic number (`0x01021994`
    /// for tmpfs, `0x01021997` for 9p, ...).
    ///
    /// - Throws: the `Errno` of `statfs(2)`.
    package static func typeIdentifier(ofFileSystemAt path: String) throws(Errno) -> Int {
        var type = 0
        _ = try retryingInterrupts { prometheus_filesystem_type(path, &type) }
        return type
    }

    /// The status of the entry `name` of `directory` itself: a symbolic link is reported as one.
    ///
    /// - Throws: the `Errno` of `fstatat(2)`.
    package static func status(ofEntry name: String, in directory: FileDescriptor) throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try retryingInterrupts { fstatat(directory.rawValue, name, &raw, AT_SYMLINK_NOFOLLOW) }
        return FileStatus(raw)
    }

    /// The status of `path` itself: a symbolic link is reported as one, not followed.
    ///
    /// - Throws: the `Errno` of `lstat(2)`.
    package static func status(ofLink path: String) throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try retryingInterrupts { lstat(path, &raw) }
        return FileStatus(raw)
    }

    /// Deletes `path`; a path that is already gone is not an error.
    ///
    /// - Throws: the `Errno` of `unlink(2)` other than `ENOENT`.
    package static func removeIfPresent(_ path: String) throws(Errno) {
        do {
            _ = try retryingInterrupts { unlink(path) }
        } catch  where error == .noSuchFileOrDirectory {
        }
    }

    /// Renames `source` to `destination`, replacing it atomically.
    ///
    /// - Throws: the `Errno` of `rename(2)`.
    package static func rename(_ source: String, to destination: String) throws(Errno) {
        _ = try retryingInterrupts { Glibc.rename(source, destination) }
    }

    /// Creates the directory `path` with `permissions` (less the umask), and its missing parents
    /// with the same; a directory that exists already, or appears meanwhile, is not an error.
    ///
    /// - Throws: the `Errno` of `mkdir(2)` other than `EEXIST`.
    package static func makeDirectories(_ path: String, permissions: UInt32) throws(Errno) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            do {
                _ = try retryingInterrupts { mkdir(prefix, mode_t(permissions)) }
            } catch  where error == .fileExists {
            }
            prefix += "/"
        }
    }

    /// Access checks of `access(2)`.
    package struct Access: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        package static let read = Access(rawValue: R_OK)
        package static let write = Access(rawValue: W_OK)
        package static let execute = Access(rawValue: X_OK)
    }

    /// Checks that this process may access `path` as asked.
    ///
    /// - Throws: the `Errno` of `access(2)`.
    package static func checkAccess(_ path: String, _ access: Access) throws(Errno) {
        _ = try retryingInterrupts { Glibc.access(path, access.rawValue) }
    }

    /// Flushes a directory, so that creations, renames and deletions in it survive a crash.
    ///
    /// - Throws: the `Errno` of `open(2)` or `fsync(2)`.
    package static func syncDirectory(_ path: String) throws(Errno) {
        let directory = try FileDescriptor.open(path, .readOnly, options: .directory)
        defer { directory.close() }
        try directory.sync()
    }

    /// The first `limit` bytes of the file `path` (all of a file from `/proc`, which reports no size),
    /// read without blocking.
    ///
    /// - Throws: the `Errno` of `open(2)` or `read(2)`.
    package static func contents(ofFile path: String, limit: Int = 1 << 20) throws(Errno) -> [UInt8] {
        let file = try FileDescriptor.open(path, .readOnly, options: .nonBlocking)
        defer { file.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < limit {
            var failure: Errno?
            let count = chunk.withUnsafeMutableBytes { raw -> Int in
                do throws(Errno) {
                    return try file.read(into: raw)
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if count == 0 { break }
            bytes.append(contentsOf: chunk.prefix(Swift.min(count, limit - bytes.count)))
        }
        return bytes
    }
}

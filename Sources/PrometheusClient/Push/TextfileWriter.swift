#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes metrics files for node_exporter's textfile collector, atomically.
///
/// A reader never sees a partial file: the content goes to a temporary file in the same directory,
/// named `<path>.<pid>.<thread>.tmp` (it does not end in `.prom`, so the collector ignores it), which
/// is flushed to disk, renamed over `path`, and then the directory itself is flushed so the rename
/// survives a crash. On any error the temporary file is removed and the previous file stays as it
/// was. Python's `write_to_textfile` does the same except for the two flushes.
public enum TextfileWriter {
    /// Replaces the file at `path` with `bytes`, atomically.
    ///
    /// - Parameters:
    ///   - temporaryDirectory: where the temporary file goes; by default the directory of `path`.
    ///     It must be on the same file system.
    /// - Throws: ``TextfileError`` naming the failing path and step.
    public static func write(_ bytes: [UInt8], to path: String, temporaryDirectory: String? = nil) throws(TextfileError)
    {
        let directory = directoryName(of: path)
        let temporary: String
        if let temporaryDirectory {
            temporary = temporaryDirectory + "/" + baseName(of: path) + temporarySuffix()
        } else {
            temporary = path + temporarySuffix()
        }
        try checkTarget(path, directory: directory)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o666)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw .directoryMissing(directoryName(of: temporary))
            }
            throw error(code, path: temporary, operation: "create the temporary file")
        }
        var closed = false
        do throws(TextfileError) {
            try writeAll(bytes, to: fd, path: temporary)
            guard fsync(fd) == 0 else {
                throw error(errno, path: temporary, operation: "flush")
            }
            closed = true
            guard close(fd) == 0 else {
                throw error(errno, path: temporary, operation: "close")
            }
            guard rename(temporary, path) == 0 else {
                let code = errno
                if code == EXDEV {
                    throw .crossDevice(temporary: temporary, target: path)
                }
                if code == ENOENT {
                    throw .directoryMissing(directory)
                }
                throw error(code, path: path, operation: "rename the temporary file over")
            }
        } catch {
            if !closed {
                close(fd)
            }
            unlink(temporary)
            throw error
        }
        try syncDirectory(directory)
    }

    /// The suffix of temporary files: `.<pid>.<thread>.tmp`.
    static func temporarySuffix() -> String {
        ".\(getpid()).\(pthread_self()).tmp"
    }

    private static func checkTarget(_ path: String, directory: String) throws(TextfileError) {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw .targetIsADirectory(path)
        }
        guard stat(directory, &info) == 0 else {
            throw error(errno, path: directory, operation: "open the directory")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .notADirectory(directory)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(TextfileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR {
                    continue
                }
                throw error(errno, path: path, operation: "write")
            }
            offset += written
        }
    }

    private static func syncDirectory(_ directory: String) throws(TextfileError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw error(errno, path: directory, operation: "open the directory to flush")
        }
        defer { close(fd) }
        // Some file systems cannot flush a directory (EINVAL); the rename is then as durable as they
        // allow, which is not an error of ours.
        if fsync(fd) != 0 && errno != EINVAL {
            throw error(errno, path: directory, operation: "flush the directory")
        }
    }

    private static func error(_ code: Int32, path: String, operation: String) -> TextfileError {
        switch code {
        case ENOENT:
            return .directoryMissing(path)
        case ENOTDIR:
            return .notADirectory(path)
        case EISDIR:
            return .targetIsADirectory(path)
        case EACCES, EPERM, EROFS:
            return .permissionDenied(path: path, operation: operation)
        default:
            return .ioFailed(path: path, operation: operation, reason: String(cString: strerror(code)))
        }
    }

    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else {
            return "."
        }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    private static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else {
            return path
        }
        return String(path[path.index(after: slash)...])
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

import PrometheusClient
import PrometheusSystem

/// Writes metrics files for node_exporter's textfile collector, atomically.
///
/// A reader never sees a partial file: the content goes to a temporary file in the same directory,
/// named `<path>.<pid>.<random>.tmp` (it does not end in `.prom`, so the collector ignores it), which
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
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .truncate, .noFollow], permissions: 0o666)
        } catch {
            throw error == .noSuchFileOrDirectory
                ? .directoryMissing(directoryName(of: temporary))
                : Self.error(error, path: temporary, operation: "create the temporary file")
        }
        do throws(TextfileError) {
            var step = "write"
            do throws(Errno) {
                try file.writeAll(bytes)
                step = "flush"
                try file.sync()
            } catch {
                throw Self.error(error, path: temporary, operation: step)
            }
            file.close()
            do {
                try FileSystem.rename(temporary, to: path)
            } catch {
                switch error {
                case .crossDevice: throw .crossDevice(temporary: temporary, target: path)
                case .noSuchFileOrDirectory: throw .directoryMissing(directory)
                default: throw Self.error(error, path: path, operation: "rename the temporary file over")
                }
            }
        } catch {
            file.close()
            try? FileSystem.removeIfPresent(temporary)
            throw error
        }
        do {
            try FileSystem.syncDirectory(directory)
        } catch  where error == .invalidArgument {
            // Some file systems cannot flush a directory; the rename is then as durable as they allow.
        } catch {
            throw Self.error(error, path: directory, operation: "flush the directory")
        }
    }

    /// The suffix of temporary files: `.<pid>.<random>.tmp`, unique across threads and processes.
    static func temporarySuffix() -> String {
        ".\(CurrentProcess.id).\(String(UInt64.random(in: 1...UInt64.max), radix: 16)).tmp"
    }

    private static func checkTarget(_ path: String, directory: String) throws(TextfileError) {
        if (try? FileSystem.status(ofPath: path).kind) == .directory {
            throw .targetIsADirectory(path)
        }
        let status: FileStatus
        do {
            status = try FileSystem.status(ofPath: directory)
        } catch {
            throw Self.error(error, path: directory, operation: "open the directory")
        }
        guard status.kind == .directory else {
            throw .notADirectory(directory)
        }
    }

    private static func error(_ errno: Errno, path: String, operation: String) -> TextfileError {
        switch errno {
        case .noSuchFileOrDirectory: return .directoryMissing(path)
        case .notDirectory: return .notADirectory(path)
        case .isDirectory: return .targetIsADirectory(path)
        case .permissionDenied, .notPermitted, .readOnlyFileSystem:
            return .permissionDenied(path: path, operation: operation)
        default: return .ioFailed(path: path, operation: operation, errno: errno)
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

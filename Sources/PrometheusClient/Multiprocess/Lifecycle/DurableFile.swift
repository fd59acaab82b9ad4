import PrometheusSystem

/// Writing a whole file durably, and the other file steps of the archive, with their failures
/// reported as `MultiprocessError.fileFailure`.
package enum DurableFile {
    /// Writes `bytes` to a new file at `path` (replacing it) and flushes it to disk. On any failure
    /// the file is deleted again, so a full disk never leaves a partial file behind.
    ///
    /// - Returns: the file's inode.
    /// - Throws: `MultiprocessError.fileFailure` naming the step that failed.
    @discardableResult
    package static func write(_ bytes: [UInt8], to path: String) throws(MultiprocessError) -> UInt64 {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate])
        } catch {
            throw .fileFailure(path: path, operation: "create", errno: error)
        }
        var step = "write"
        do throws(Errno) {
            try descriptor.writeAll(bytes)
            step = "fsync"
            try descriptor.sync()
            step = "stat"
            let inode = try descriptor.status().inode
            descriptor.close()
            return inode
        } catch {
            descriptor.close()
            try? FileSystem.removeIfPresent(path)
            throw .fileFailure(path: path, operation: step, errno: error)
        }
    }

    /// Renames a file into place.
    ///
    /// - Throws: `MultiprocessError.fileFailure`.
    package static func rename(_ source: String, to destination: String) throws(MultiprocessError) {
        do {
            try FileSystem.rename(source, to: destination)
        } catch {
            throw .fileFailure(path: destination, operation: "rename", errno: error)
        }
    }

    /// Deletes a file; one that is already gone is fine.
    ///
    /// - Throws: `MultiprocessError.fileFailure`.
    package static func remove(_ path: String) throws(MultiprocessError) {
        do {
            try FileSystem.removeIfPresent(path)
        } catch {
            throw .fileFailure(path: path, operation: "delete", errno: error)
        }
    }

    /// Flushes the directory, so that renames and deletions survive a crash.
    ///
    /// - Throws: `MultiprocessError.fileFailure`.
    package static func syncDirectory(_ path: String) throws(MultiprocessError) {
        do {
            try FileSystem.syncDirectory(path)
        } catch {
            throw .fileFailure(path: path, operation: "fsync the directory", errno: error)
        }
    }
}

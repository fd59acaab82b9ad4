import PrometheusSystem

/// An advisory lock (flock) on a file beside the `.db` files, so that a merge never sees a dead
/// process's values half-folded into an archive: merges take it shared, `markProcessDead` exclusive.
/// The lock file does not end in `.db`, so neither merger reads it.
package struct DirectoryLock {
    package static let fileName = ".prometheus_multiproc.lock"

    private let descriptor: FileDescriptor?

    /// Takes the lock, waiting for it. When the lock file cannot be created (a read-only directory),
    /// the caller goes ahead unlocked: nobody can archive in such a directory anyway. The file is
    /// opened without blocking, so a FIFO planted under its name cannot stall the master.
    ///
    /// - Parameter createsFile: false for a reader that must change nothing in the directory (a
    ///   collector that never archives, `prometheus-multiproc merge`): it locks the file when it
    ///   exists and goes ahead unlocked, as the Python client always does, until an archiver made it.
    package init(directory: String, exclusive: Bool, createsFile: Bool = true) {
        let path = directory + "/" + Self.fileName
        let descriptor =
            (createsFile ? try? FileDescriptor.open(path, .readWrite, options: [.create, .nonBlocking]) : nil)
            ?? (try? FileDescriptor.open(path, .readOnly, options: .nonBlocking))
        if let descriptor {
            do {
                try descriptor.lock(exclusive ? .exclusive : .shared)
            } catch {
                descriptor.close()
                self.descriptor = nil
                return
            }
        }
        self.descriptor = descriptor
    }

    /// Releases the lock (closing the descriptor releases the flock).
    package func release() {
        descriptor?.close()
    }
}

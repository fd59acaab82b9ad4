import PrometheusSystem

/// A writer's exclusive claim on its identity in a multiprocess directory: an open-file-description
/// lock on `writer_<identity>.lock`, which the kernel releases when the writer dies, however it dies.
///
/// The lock answers two questions no pid can: whether the writer of a set of files is alive (a
/// master asks with `F_OFD_GETLK`, which takes no lock and works across pid namespaces on one
/// file system), and whether an identity is free (two processes with the same pid in different
/// namespaces can never both hold it). The file does not end in `.db`, so Python masters ignore it.
/// It holds the writer's pid and start time, for `prometheus-multiproc status`.
package final class WriterLease {
    package static let prefix = "writer_"
    package static let suffix = ".lock"

    /// The identity claimed.
    package let identity: String
    private var descriptor: FileDescriptor?

    private init(identity: String, descriptor: FileDescriptor) {
        self.identity = identity
        self.descriptor = descriptor
    }

    deinit {
        descriptor?.close()
    }

    /// The lease file's name for `identity`.
    package static func fileName(for identity: String) -> String {
        prefix + identity + suffix
    }

    /// The identity a lease file name names, or nil when `name` is not one.
    package static func identity(ofFileName name: String) -> String? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.utf8.count > prefix.utf8.count + suffix.utf8.count
        else { return nil }
        return String(name.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// Whether a directory entry's name bytes look like a lease file (the cheap first test of a listing).
    package static func looksLikeLease(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.starts(with: prefix.utf8) && bytes.reversed().starts(with: suffix.utf8.reversed())
    }

    /// Claims `identity` in `directory`: nil when a live writer holds it.
    ///
    /// A master may delete the file of a dead writer's lease at any moment; a claim that locked a file
    /// just deleted (its inode no longer at the path) starts again, so two writers never hold one
    /// identity.
    ///
    /// - Throws: `MultiprocessError.fileFailure` when the lease file cannot be created or locked (a
    ///   read-only or full directory, no descriptors left).
    package static func claim(_ identity: String, in directory: MultiprocessDirectory) throws(MultiprocessError)
        -> WriterLease?
    {
        let path = directory.file(named: fileName(for: identity))
        for _ in 0..<8 {
            let descriptor: FileDescriptor
            do {
                descriptor = try FileDescriptor.open(path, .readWrite, options: [.create, .noFollow, .nonBlocking])
            } catch {
                throw .fileFailure(path: path, operation: "create the writer lease", errno: error)
            }
            enum Step {
                case claimed, heldByAnother, replaced
                case notRegular(FileStatus.Kind)
            }
            let step: Step
            do throws(Errno) {
                let opened = try descriptor.status()
                if opened.kind != .regular {
                    step = .notRegular(opened.kind)
                } else if try !descriptor.tryLockExclusively() {
                    step = .heldByAnother
                } else if (try? FileSystem.status(ofLink: path).inode) != opened.inode {
                    // Deleted by a master between our open and our lock: claim the new file.
                    step = .replaced
                } else {
                    let start = ProcessStatistics.preciseStartTime(pid: CurrentProcess.id) ?? 0
                    // Best effort: on a full disk the lock alone is the claim.
                    try? descriptor.truncate(size: 0)
                    let record = Array("pid \(CurrentProcess.id)\nstart \(start)\n".utf8)
                    try? descriptor.writeAll(record)
                    step = .claimed
                }
            } catch {
                descriptor.close()
                throw .fileFailure(path: path, operation: "lock the writer lease", errno: error)
            }
            switch step {
            case .claimed: return WriterLease(identity: identity, descriptor: descriptor)
            case .heldByAnother:
                descriptor.close()
                return nil
            case .replaced:
                descriptor.close()
            case .notRegular(let kind):
                descriptor.close()
                throw .unusableFile(path: path, problem: .notARegularFile(path: path, kind: kind.description))
            }
        }
        return nil
    }

    /// Whether the lease file has lost its name (deleted with its directory) while held: one `fstat`.
    package var isUnlinked: Bool {
        guard let descriptor, let status = try? descriptor.status() else { return false }
        return status.linkCount == 0
    }

    /// Gives the identity up (closing the descriptor releases the lock). The file stays for the
    /// master to judge and delete. In a forked child it closes only the child's copy: the lock
    /// belongs to the open file description, which the parent keeps.
    package func release() {
        descriptor?.close()
        descriptor = nil
    }

    /// What a lease file says about its holder: whether it is held, and the pid and start time it
    /// records. Nil when the file cannot be opened or is not a regular file.
    package static func probe(fileName: String, in directory: String) -> (held: Bool, pid: Int32?, start: Double?)? {
        guard
            let descriptor = try? FileDescriptor.open(
                directory + "/" + fileName, .readOnly, options: [.noFollow, .nonBlocking])
        else { return nil }
        defer { descriptor.close() }
        guard (try? descriptor.status().kind) == .regular, let held = try? descriptor.isLockedByAnother() else {
            return nil
        }
        let text = String(decoding: (try? descriptor.readBytes(fromAbsoluteOffset: 0, count: 256)) ?? [], as: UTF8.self)
        var pid: Int32?
        var start: Double?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            if parts[0] == "pid" { pid = Int32(parts[1]) }
            if parts[0] == "start" { start = Double(parts[1]) }
        }
        return (held, pid, start)
    }
}

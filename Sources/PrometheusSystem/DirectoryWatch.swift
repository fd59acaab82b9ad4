internal import Glibc

/// Tells whether anything happened in a directory since the last question (`inotify(7)`): a file
/// created, deleted, renamed, or closed after writing. The last matters for liveness: when a process
/// ends, the kernel closes its files, and the close of a file it had open for writing (a writer's
/// lease, its `.db` files) is an event, delivered at the same moment its locks are released.
package final class DirectoryWatch {
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 16 << 10)
    private let ignoredNames: [[UInt8]]

    /// Watches `path`, except for events of files named in `ignoredNames` (the watcher's own lock
    /// file, which it opens for writing every time).
    ///
    /// - Throws: the `Errno` of `inotify_init1(2)` or `inotify_add_watch(2)` (`EMFILE` or `ENOSPC`
    ///   when the user's inotify limits are reached).
    package init(path: String, ignoring ignoredNames: [String] = []) throws(Errno) {
        self.ignoredNames = ignoredNames.map { Array($0.utf8) }
        let raw = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard raw >= 0 else { throw Errno.current }
        let mask =
            UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB)
            | UInt32(IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(raw, path, mask) >= 0 else {
            let error = Errno.current
            Glibc.close(raw)
            throw error
        }
        descriptor = raw
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Whether any event arrived since the previous call (a full event queue counts as one); reads
    /// and discards them. Never waits: one `read(2)` when nothing happened.
    package func drainChanges() -> Bool {
        var changed = false
        do {
            while let count = try readEvents(), count > 0 {
                if !changed { changed = containsRelevantEvent(count) }
            }
            return changed
        } catch {
            // Not drained but failed: report a change, so the caller looks for itself.
            return true
        }
    }

    /// Reads the queued events into the buffer: their size, or nil when none is queued.
    private func readEvents() throws(Errno) -> Int? {
        let descriptor = descriptor
        let outcome = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in
                try retryingInterrupts(unlessWouldBlock: \.meansWouldBlock) {
                    read(descriptor, raw.baseAddress, raw.count)
                }
            }
        }
        return try outcome.get()
    }

    /// Whether the first `count` bytes of the buffer hold an event not about an ignored name.
    private func containsRelevantEvent(_ count: Int) -> Bool {
        buffer.withUnsafeBytes { raw in
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = UnsafeRawBufferPointer(
                    rebasing: raw[(offset + header)..<min(count, offset + header + length)])
                let name = nameBytes.prefix { $0 != 0 }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || !ignoredNames.contains(where: { $0.elementsEqual(name) }) {
                    return true
                }
                offset += header + length
            }
            return false
        }
    }
}

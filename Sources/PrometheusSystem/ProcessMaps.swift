/// The memory maps of a process (`/proc/<pid>/maps`): the evidence that a process writes a
/// multiprocess file, since every writer, Swift's and Python's, writes through a mapping of it. Both
/// the writer liveness judge and `WorkerProcessCollector` ask it.
package struct ProcessMaps {
    /// The text of the maps file.
    package var bytes: [UInt8]

    /// The maps of `pid`, nil when they cannot be read (no such process, or not permitted: another
    /// user's process).
    package static func read(pid: Int32, procRoot: String = "/proc") -> ProcessMaps? {
        (try? FileSystem.contents(ofFile: "\(procRoot)/\(pid)/maps", limit: 64 << 20)).map(ProcessMaps.init)
    }

    /// Whether one of `files` is mapped: a line whose inode field is the file's inode and whose path
    /// ends in its name. Pure.
    package func mapsAny(of files: [(name: String, inode: UInt64)]) -> Bool {
        let inodes = Set(files.map(\.inode))
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // address perms offset dev inode [path]
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, let inode = UInt64(String(decoding: fields[4], as: UTF8.self)),
                inodes.contains(inode)
            else { continue }
            let path = String(String(decoding: fields[5], as: UTF8.self).drop { $0 == " " })
            if files.contains(where: { $0.inode == inode && path.hasSuffix("/" + $0.name) }) {
                return true
            }
        }
        return false
    }
}

/// Everything a `.db` file holds, for tools (the `prometheus-multiproc inspect` command) and for
/// diagnosing a file the collector skipped: the entries that could be read, and the first problem.
public struct DBFileInspection: Sendable {
    /// One entry of the file.
    public struct Entry: Sendable, Equatable {
        /// Byte offset of the entry in the file.
        public var offset: Int
        /// The metric family name.
        public var familyName: String
        /// The sample name.
        public var sampleName: String
        /// The labels, in the order the key lists them.
        public var labels: [Label]
        /// The help text.
        public var help: String
        /// The value.
        public var value: Double
        /// The timestamp (Unix seconds; set by the mostrecent gauge modes, otherwise 0).
        public var timestamp: Double
    }

    /// The entries that could be read, in file order.
    public var entries: [Entry]
    /// Why reading stopped early, or nil when the whole file is valid.
    public var problem: DBFileError?

    /// Reads and checks the file at `path`.
    public init(path: String) {
        entries = []
        problem = nil
        do {
            guard let snapshot = try DBFileReader.snapshot(path: path) else {
                problem = .unreadable(path: path, errno: 2)
                return
            }
            inspect(snapshot)
        } catch {
            problem = error
        }
    }

    /// Checks the bytes of a whole `.db` file (for example one received over the network, or a fuzzer's
    /// input).
    public init(bytes: [UInt8]) {
        entries = []
        problem = nil
        guard bytes.count >= DBFileLayout.headerSize else {
            problem = .tooShort(size: bytes.count)
            return
        }
        let used = Int(DBFileReader.readUInt32(bytes, at: 0))
        guard used >= DBFileLayout.headerSize, used <= bytes.count else {
            problem = .usedOutOfRange(used: used, size: bytes.count)
            return
        }
        inspect(DBFileReader.Snapshot(bytes: Array(bytes.prefix(used)), device: 0, inode: 0))
    }

    private mutating func inspect(_ snapshot: DBFileReader.Snapshot) {
        do {
            var offset = DBFileLayout.headerSize
            while offset < snapshot.used {
                let location = try DBFileReader.locateEntry(in: snapshot.bytes, at: offset)
                let key = try DBFileReader.key(of: location, in: snapshot.bytes)
                entries.append(
                    Entry(
                        offset: location.offset, familyName: key.familyName, sampleName: key.sampleName,
                        labels: key.labels, help: key.help,
                        value: DBFileReader.readDouble(snapshot.bytes, at: location.valueOffset),
                        timestamp: DBFileReader.readDouble(snapshot.bytes, at: location.valueOffset + 8)))
                offset = location.valueOffset + 16
            }
        } catch {
            problem = error
        }
    }
}

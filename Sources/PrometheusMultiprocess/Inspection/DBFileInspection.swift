import PrometheusClient
import PrometheusSystem

/// Everything a `.db` file holds, for tools (the `prometheus-multiproc inspect` command) and for
/// diagnosing what the collector skipped: the entries, and every problem, judged exactly as the
/// merge judges them (the same entry walk, key decoder and series checks).
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

    /// The entries whose keys could be decoded, in file order (including entries the merge skips;
    /// ``problems`` says which).
    public var entries: [Entry]
    /// Every problem: entries the merge skips (`DBFileError.invalidEntry`), then the problem that
    /// stopped the reading, if any (the merge then skips the whole file).
    public var problems: [DBFileError]

    /// The first problem, or nil when the merge would use every entry of the file.
    public var problem: DBFileError? { problems.first }

    /// Whether the merge would skip the whole file (as opposed to some entries, or none).
    public var isUnreadable: Bool {
        guard let last = problems.last else { return false }
        if case .invalidEntry = last { return false }
        return true
    }

    /// Reads and checks the file at `path`; its name says which series it may hold.
    public init(path: String) {
        entries = []
        problems = []
        let fileName = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        guard let name = DBFileName(fileName: fileName) else {
            problems = [.foreignName(fileName: fileName)]
            return
        }
        do {
            guard
                let snapshot = try DBFileReader.snapshot(path: path, checkingFirst: DBFileReader.checkEntries(inFirst:))
            else {
                problems = [.missing(path: path)]
                return
            }
            inspect(snapshot.bytes, name: name)
        } catch {
            problems = [error]
        }
    }

    /// Checks the bytes of a whole `.db` file (for example one received over the network, or a
    /// fuzzer's input). With the file's name, entries are also checked against what that kind of
    /// file may hold; without it, only the layout and the keys are.
    public init(bytes: [UInt8], fileName: String? = nil) {
        entries = []
        problems = []
        let name = fileName.flatMap(DBFileName.init(fileName:))
        if let fileName, name == nil {
            problems = [.foreignName(fileName: fileName)]
            return
        }
        guard bytes.count >= DBFileLayout.headerSize else {
            problems = [.tooShort(size: bytes.count)]
            return
        }
        let header = bytes.withUnsafeBytes { DBFileLayout.header(of: $0) }
        do {
            let used = try DBFileLayout.used(fromHeader: header, fileSize: bytes.count)
            inspect(Array(bytes.prefix(used)), name: name)
        } catch {
            problems = [error]
        }
    }

    private mutating func inspect(_ bytes: [UInt8], name: DBFileName?) {
        var found: [Entry] = []
        var rejected: [DBFileError] = []
        let failure: DBFileError? = bytes.withUnsafeBytes { raw in
            do throws(DBFileError) {
                try DBFileLayout.forEachEntry(in: raw, used: raw.count) { location throws(DBFileError) in
                    let key = try DBFileReader.key(of: location, in: raw)
                    found.append(
                        Entry(
                            offset: location.offset, familyName: key.familyName, sampleName: key.sampleName,
                            labels: key.labels, help: key.help,
                            value: DBFileLayout.double(at: location.valueOffset, in: raw),
                            timestamp: DBFileLayout.double(at: location.valueOffset + 8, in: raw)))
                    if let name {
                        do throws(DBFileError) {
                            _ = try MergedSeriesKey(
                                key: key, kind: name.kind, processIdentifier: name.processIdentifier,
                                offset: location.offset)
                        } catch {
                            rejected.append(error)
                        }
                    }
                }
                return nil
            } catch {
                return error
            }
        }
        entries = found
        problems = rejected + (failure.map { [$0] } ?? [])
    }
}

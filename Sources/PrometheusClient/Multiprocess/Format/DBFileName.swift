/// The meaning of a multiprocess file's name: `<kind prefix>_<id>.db` (see ``StorageKind``), where the
/// id is a pid, a custom process identifier, or `archive` for the files dead processes are folded
/// into.
package struct DBFileName: Sendable, Hashable {
    package static let archiveIdentifier = "archive"
    package static let suffix = ".db"

    package var kind: StorageKind
    /// The process identifier (normally the pid), or `archive`.
    package var processIdentifier: String

    package init(kind: StorageKind, processIdentifier: String) {
        self.kind = kind
        self.processIdentifier = processIdentifier
    }

    /// Whether a file name (its bytes) ends in `.db` after at least one other byte: the cheap first
    /// test of a directory entry, before any string is made of it.
    package static func hasDBSuffix(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        bytes.count > 3 && bytes.suffix(3).elementsEqual(suffix.utf8)
    }

    /// Parses a file name; nil for names that are not multiprocess files.
    package init?(fileName: String) {
        // Works on the UTF-8 bytes: a cold merge parses one name per file, thousands per scrape.
        var name = fileName
        guard let parsed = name.withUTF8({ Self.parse($0) }) else { return nil }
        (kind, processIdentifier) = parsed
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (StorageKind, String)? {
        guard hasDBSuffix(bytes) else { return nil }
        let stem = bytes.count - suffix.utf8.count
        let separator = UInt8(ascii: "_")
        guard var prefixEnd = bytes[..<stem].firstIndex(of: separator) else { return nil }
        if bytes[..<prefixEnd].elementsEqual("gauge".utf8) {
            // Gauge prefixes hold the mode: gauge_<mode>_<id>.
            guard let second = bytes[(prefixEnd + 1)..<stem].firstIndex(of: separator) else { return nil }
            prefixEnd = second
        }
        guard prefixEnd + 1 < stem,
            let kind = StorageKind(filePrefixBytes: UnsafeBufferPointer(rebasing: bytes[..<prefixEnd]))
        else { return nil }
        return (kind, String(decoding: bytes[(prefixEnd + 1)..<stem], as: UTF8.self))
    }

    /// The file name.
    package var fileName: String {
        "\(kind.filePrefix)_\(processIdentifier)\(Self.suffix)"
    }

    package var isArchive: Bool {
        processIdentifier == Self.archiveIdentifier
    }

    /// A fresh temporary name for creating this file: `<file name>.<random>.tmp`. The name does not
    /// end in `.db`, so no reader picks it up, and the random part keeps a process that reuses a dead
    /// one's pid from colliding with what the dead one left.
    package var temporaryFileName: String {
        "\(fileName).\(String(UInt64.random(in: 1...UInt64.max), radix: 16)).tmp"
    }

    /// Whether `fileName` is a temporary file of ``temporaryFileName`` for a file of `processIdentifier`:
    /// what a writer killed while creating a file leaves behind.
    package static func isTemporaryFile(_ fileName: String, of processIdentifier: String) -> Bool {
        guard fileName.hasSuffix(".tmp") else { return false }
        let bytes = Array(fileName.utf8)
        // A values file's temporary name, or a companion file's (CompanionFileName).
        for fileSuffix in [suffix] + CompanionFileName.Contents.allCases.map(\.suffix) {
            let marker = Array((fileSuffix + ".").utf8)
            guard bytes.count > marker.count,
                let start = (0...(bytes.count - marker.count)).first(where: {
                    bytes[$0..<($0 + marker.count)].elementsEqual(marker)
                })
            else { continue }
            let name = String(decoding: bytes[..<(start + fileSuffix.utf8.count)], as: UTF8.self)
            let identifier =
                fileSuffix == suffix
                ? DBFileName(fileName: name)?.processIdentifier : CompanionFileName(fileName: name)?.processIdentifier
            return identifier == processIdentifier
        }
        return false
    }
}

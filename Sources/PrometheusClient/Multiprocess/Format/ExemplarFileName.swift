/// The name of a process's exemplar file: `<kind prefix>_<id>.exemplars` beside its
/// `<kind prefix>_<id>.db` (see ``ExemplarFileLayout``). It does not end in `.db`, so Python's
/// readers, which glob `*.db`, never open it. Only counters and histograms have exemplars.
struct ExemplarFileName: Sendable, Hashable {
    static let suffix = ".exemplars"

    /// The values file whose exemplars this file holds.
    var valuesFile: DBFileName

    var kind: StorageKind { valuesFile.kind }
    var processIdentifier: String { valuesFile.processIdentifier }

    init(kind: StorageKind, processIdentifier: String) {
        valuesFile = DBFileName(kind: kind, processIdentifier: processIdentifier)
    }

    /// Parses a file name; nil for names that are not exemplar files of a counter or histogram.
    init?(fileName: String) {
        guard fileName.hasSuffix(Self.suffix),
            let values = DBFileName(fileName: String(fileName.dropLast(Self.suffix.count)) + DBFileName.suffix),
            values.kind == .counter || values.kind == .histogram
        else { return nil }
        valuesFile = values
    }

    /// Whether a name (its bytes) ends in `.exemplars`: the cheap test of a directory entry.
    static func hasSuffix(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        bytes.count > suffix.utf8.count && bytes.reversed().starts(with: suffix.utf8.reversed())
    }

    var fileName: String {
        "\(kind.filePrefix)_\(processIdentifier)\(Self.suffix)"
    }

    var isArchive: Bool { valuesFile.isArchive }

    /// A fresh temporary name for creating the file, as ``DBFileName/temporaryFileName``.
    var temporaryFileName: String {
        "\(fileName).\(String(UInt64.random(in: 1...UInt64.max), radix: 16)).tmp"
    }
}

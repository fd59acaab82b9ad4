/// The name of a process's companion file beside its `<kind prefix>_<id>.db`: what Python's readers
/// never open, because the name does not end in `.db` (they glob `*.db`).
///
/// - `<kind prefix>_<id>.exemplars` (counters and histograms): the latest exemplar of each sample
///   (``ExemplarFileLayout``).
/// - `histogram_<id>.native`: native histogram buckets (``NativeBucketFileLayout``).
package struct CompanionFileName: Sendable, Hashable {
    /// What a companion file holds; each has its own suffix.
    package enum Contents: Sendable, Hashable, CaseIterable {
        case exemplars
        case nativeBuckets

        package var suffix: String {
            switch self {
            case .exemplars: ".exemplars"
            case .nativeBuckets: ".native"
            }
        }

        /// Whether values files of `kind` can have this companion.
        package func accompanies(_ kind: StorageKind) -> Bool {
            switch self {
            case .exemplars: kind == .counter || kind == .histogram
            case .nativeBuckets: kind == .histogram
            }
        }
    }

    /// The values file this file accompanies.
    package var valuesFile: DBFileName
    package var contents: Contents

    package var kind: StorageKind { valuesFile.kind }
    package var processIdentifier: String { valuesFile.processIdentifier }

    package init(_ contents: Contents, kind: StorageKind, processIdentifier: String) {
        valuesFile = DBFileName(kind: kind, processIdentifier: processIdentifier)
        self.contents = contents
    }

    /// Parses a file name; nil for names that are not companion files of a kind that has them.
    package init?(fileName: String) {
        guard
            let contents = Contents.allCases.first(where: { fileName.hasSuffix($0.suffix) }),
            let values = DBFileName(
                fileName: String(fileName.dropLast(contents.suffix.count)) + DBFileName.suffix),
            contents.accompanies(values.kind)
        else { return nil }
        valuesFile = values
        self.contents = contents
    }

    /// Whether a name (its bytes) ends in a companion suffix: the cheap test of a directory entry.
    package static func hasSuffix(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        Contents.allCases.contains { contents in
            bytes.count > contents.suffix.utf8.count && bytes.reversed().starts(with: contents.suffix.utf8.reversed())
        }
    }

    package var fileName: String {
        "\(kind.filePrefix)_\(processIdentifier)\(contents.suffix)"
    }

    package var isArchive: Bool { valuesFile.isArchive }

    /// This file's counterpart in the archive.
    package var archive: CompanionFileName {
        CompanionFileName(contents, kind: kind, processIdentifier: DBFileName.archiveIdentifier)
    }

    /// A fresh temporary name for creating the file, as ``DBFileName/temporaryFileName``.
    package var temporaryFileName: String {
        "\(fileName).\(String(UInt64.random(in: 1...UInt64.max), radix: 16)).tmp"
    }
}

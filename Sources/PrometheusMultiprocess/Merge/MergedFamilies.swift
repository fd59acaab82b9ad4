import PrometheusClient

/// What one collection of a ``MultiProcessCollector`` serves, sorted by name: the merged families,
/// written from their lines (``MergedLineWriter``), and the collector's own families (its
/// self-metrics, and the storage-failure counter when only markers report it), kept as values.
struct MergedFamilies: PreparedFamilies {
    private enum Entry {
        /// A family of the merge, by position in its layout.
        case merged(Int)
        /// A family made by the collector itself.
        case value(MetricFamily)
    }

    let scrape: MergedScrape
    private var entries: [Entry]
    private(set) var familyNames: [String]

    /// The shown families of `scrape`, with the counts of storage-failure `markers` added to the
    /// failure counter, and `extras` inserted where they belong by name.
    init(scrape: MergedScrape, markers: [StorageFailureMarker], extras: [MetricFamily]) {
        self.scrape = scrape
        let shown = scrape.shownFamilies()
        entries = shown.map { .merged($0) }
        familyNames = shown.map { scrape.layout.families[$0].name }
        addMarkers(markers)
        for family in extras {
            insertSorted(family)
        }
    }

    /// The families as values.
    func families() -> [MetricFamily] {
        entries.indices.map(family(at:))
    }

    func family(at index: Int) -> MetricFamily {
        switch entries[index] {
        case .merged(let position): return scrape.family(at: position)
        case .value(let family): return family
        }
    }

    func writeFamily(
        at index: Int, as format: ExpositionFormat, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        switch entries[index] {
        case .merged(let position):
            MergedLineWriter.write(familyAt: position, of: scrape, as: format, escaping: escaping, to: &buffer)
        case .value(let family):
            Exposition.write(family, as: format, escaping: escaping, to: &buffer)
        }
    }

    /// Inserts `family` before the first family whose name does not precede its own.
    private mutating func insertSorted(_ family: MetricFamily) {
        let index = familyNames.firstIndex { !ByteIdentity.precedes($0, family.name) } ?? familyNames.endIndex
        entries.insert(.value(family), at: index)
        familyNames.insert(family.name, at: index)
    }

    /// Adds the counts of storage-failure markers to the failure counter merged from the files, or
    /// serves the counter from the markers alone.
    private mutating func addMarkers(_ markers: [StorageFailureMarker]) {
        guard !markers.isEmpty else { return }
        let total = Double(markers.reduce(0) { $0 + $1.count })
        let name = StorageFailureMarker.counterFamilyName
        if let index = familyNames.firstIndex(where: { ByteIdentity.equal($0, name) }) {
            var family = family(at: index)
            if let sample = family.samples.firstIndex(where: { $0.labels.isEmpty }) {
                family.samples[sample].value += total
                entries[index] = .value(family)
                return
            }
        }
        insertSorted(
            MetricFamily(
                name: name, help: StorageFailureMarker.counterHelp, type: .counter,
                samples: [Sample(name: name + "_total", value: total)]))
    }
}

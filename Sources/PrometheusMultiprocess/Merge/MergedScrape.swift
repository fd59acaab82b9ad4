import PrometheusClient

/// One merge's values over its ``MergedLayout``: which series it shows, and the lines of each family
/// in the order they are exposed. Both ways out of a merge use ``forEachLine(ofFamily:_:)``:
/// ``family(at:)`` makes samples of the lines, ``MergedLineWriter`` writes their bytes, so the lines of
/// a merged family are spelled here once.
struct MergedScrape {
    /// One line of a merged family, in exposition order within its label set.
    enum Line {
        /// The native sample of a histogram series with merged native buckets.
        case native(NativeHistogram)
        /// A classic bucket (at a position of ``MergedLayout/buckets``), cumulative.
        case bucket(position: Int, value: Double, exemplar: Exemplar?)
        /// A histogram's `_count`, derived from its buckets.
        case count(Double)
        /// Any other sample (at a position of ``MergedLayout/others``).
        case sample(position: Int, value: Double, exemplar: Exemplar?)
        /// The earliest creation time among the label set's series.
        case created(Double)
    }

    let layout: MergedLayout
    /// The merged value, timestamp and presence of each series, by series number.
    let values: [Double]
    let timestamps: [Double]
    let present: [Bool]
    /// Whether counters, histograms and summaries get `_created` lines (when a writer recorded one).
    let includeCreated: Bool
    /// The latest exemplar of counter totals and histogram buckets.
    let exemplars: [MergedSeriesKey: Exemplar]
    /// The merged native buckets of histogram series (``NativeBucketMerger``).
    let native: [MergedSeriesKey: NativeBucketMerger.Series]

    init(
        layout: MergedLayout, values: [Double], timestamps: [Double] = [], present: [Bool],
        includeCreated: Bool = false, exemplars: [MergedSeriesKey: Exemplar] = [:],
        native: [MergedSeriesKey: NativeBucketMerger.Series] = [:]
    ) {
        self.layout = layout
        self.values = values
        self.timestamps = timestamps
        self.present = present
        self.includeCreated = includeCreated
        self.exemplars = exemplars
        self.native = native
    }

    /// Whether series `number` is exposed: merged from some file, and a value its rule shows.
    @inline(__always)
    func isShown(_ number: Int) -> Bool {
        number < present.count && present[number] && layout.series[number].rule.shows(values[number])
    }

    /// The arrays a walk over lines reads, lent as buffers for the walk's length: read through the
    /// layout (a class) and this value at every series, each read cost a reference count, a tenth of
    /// a wide merged scrape.
    private struct Tables {
        let sets: UnsafeBufferPointer<MergedLayout.LabelSet>
        let buckets: UnsafeBufferPointer<(series: Int, bound: Double)>
        let others: UnsafeBufferPointer<Int>
        let series: UnsafeBufferPointer<MergedSeriesTable.Series>
        let values: UnsafeBufferPointer<Double>
        let timestamps: UnsafeBufferPointer<Double>
        let present: UnsafeBufferPointer<Bool>

        @inline(__always)
        func isShown(_ number: Int) -> Bool {
            number < present.count && present[number] && series[number].rule.shows(values[number])
        }

        /// Whether any series of the label set at `position` is shown.
        func showsAny(ofSet position: Int) -> Bool {
            let set = sets.baseAddress! + position
            for bucket in set.pointee.buckets where isShown(buckets[bucket].series) { return true }
            for other in set.pointee.others where isShown(others[other]) { return true }
            return false
        }
    }

    /// Calls `body` with the tables, lent for its length.
    private func withTables<Result>(_ body: (Tables) -> Result) -> Result {
        layout.sets.withUnsafeBufferPointer { sets in
            layout.buckets.withUnsafeBufferPointer { buckets in
                layout.others.withUnsafeBufferPointer { others in
                    layout.series.withUnsafeBufferPointer { series in
                        values.withUnsafeBufferPointer { values in
                            timestamps.withUnsafeBufferPointer { timestamps in
                                present.withUnsafeBufferPointer { present in
                                    body(
                                        Tables(
                                            sets: sets, buckets: buckets, others: others, series: series,
                                            values: values, timestamps: timestamps, present: present))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The families with at least one shown series, by position in the layout (sorted by name).
    func shownFamilies() -> [Int] {
        withTables { tables in
            layout.families.indices.filter { index in
                layout.families[index].sets.contains { tables.showsAny(ofSet: $0) }
            }
        }
    }

    /// Every shown family as samples, sorted by name.
    func families() -> [MetricFamily] {
        shownFamilies().map(family(at:))
    }

    /// The family at `index` of the layout as samples.
    func family(at index: Int) -> MetricFamily {
        let family = layout.families[index]
        var result = MetricFamily(name: family.name, help: family.help, type: family.type)
        forEachLine(ofFamily: index) { set, line in
            let labels = layout.sets[set].labels
            switch line {
            case .native(let histogram):
                result.samples.append(Sample(name: family.name, labels: labels, value: 0, nativeHistogram: histogram))
            case .bucket(let position, let value, let exemplar):
                let bound = GoFloatFormat.string(layout.buckets[position].bound)
                result.samples.append(
                    Sample(
                        name: family.name + "_bucket", labels: labels + [Label("le", bound)], value: value,
                        exemplar: exemplar))
            case .count(let value):
                result.samples.append(Sample(name: family.name + "_count", labels: labels, value: value))
            case .sample(let position, let value, let exemplar):
                let name = layout.series[layout.others[position]].key.sampleName.string
                result.samples.append(Sample(name: name, labels: labels, value: value, exemplar: exemplar))
            case .created(let value):
                result.samples.append(Sample(name: family.name + "_created", labels: labels, value: value))
            }
        }
        return result
    }

    /// Calls `body` with each line of the family at `index`, label set by label set (with the set's
    /// position in ``MergedLayout/sets``).
    func forEachLine(ofFamily index: Int, _ body: (Int, Line) -> Void) {
        let family = layout.families[index]
        withTables { tables in
            for set in family.sets {
                forEachLine(ofSet: set, in: family, tables, body)
            }
        }
    }

    /// The lines of one label set: the native sample first, when merged native buckets exist; then
    /// buckets (cumulative) and `_count`, the other samples by name, and `_created`.
    @inline(__always)
    private func forEachLine(
        ofSet position: Int, in family: MergedLayout.Family, _ tables: Tables, _ body: (Int, Line) -> Void
    ) {
        let set = tables.sets.baseAddress! + position
        let (setBuckets, setOthers) = (set.pointee.buckets, set.pointee.others)
        var anyShown = false
        var lowestBound: Double?
        var created = 0.0
        let tracksCreated = includeCreated && family.type.hasCreatedSeries
        @inline(__always)
        func note(_ number: Int) {
            anyShown = true
            guard tracksCreated, number < tables.timestamps.count else { return }
            let time = tables.timestamps[number]
            if time > 0 && (created == 0 || time < created) { created = time }
        }
        for bucket in setBuckets where tables.isShown(tables.buckets[bucket].series) {
            if lowestBound == nil { lowestBound = tables.buckets[bucket].bound }
            note(tables.buckets[bucket].series)
        }
        for other in setOthers where tables.isShown(tables.others[other]) { note(tables.others[other]) }
        guard anyShown else { return }
        var writesOthers = true
        if family.type == .histogram {
            // A _sum needs its buckets and _count (they may all have been skipped), and is not a
            // counter beside negative buckets: as in the single-process histogram, leave it out.
            guard let lowestBound else { return }
            writesOthers = lowestBound >= 0
            if let histogram = nativeHistogram(of: layout.sets[position], in: family) {
                body(position, .native(histogram.sample))
                if !histogram.keepsClassicBuckets {
                    if created > 0 { body(position, .created(created)) }
                    return
                }
            }
        }
        if lowestBound != nil {
            var cumulative = 0.0
            for bucket in setBuckets where tables.isShown(tables.buckets[bucket].series) {
                let number = tables.buckets[bucket].series
                cumulative += tables.values[number]
                body(position, .bucket(position: bucket, value: cumulative, exemplar: exemplar(of: number)))
            }
            body(position, .count(cumulative))
        }
        if writesOthers {
            for other in setOthers where tables.isShown(tables.others[other]) {
                let number = tables.others[other]
                body(position, .sample(position: other, value: tables.values[number], exemplar: exemplar(of: number)))
            }
        }
        if created > 0 { body(position, .created(created)) }
    }

    @inline(__always)
    private func exemplar(of number: Int) -> Exemplar? {
        exemplars.isEmpty ? nil : exemplars[layout.series[number].key]
    }

    /// The native sample of a histogram label set, with its shown `_sum` and its shown buckets'
    /// exemplars (oldest first), when native buckets were merged for it.
    private func nativeHistogram(of set: MergedLayout.LabelSet, in family: MergedLayout.Family) -> (
        sample: NativeHistogram, keepsClassicBuckets: Bool
    )? {
        guard !native.isEmpty else { return nil }
        let name = ByteString(family.name)
        guard
            let merged = native[
                MergedSeriesKey(familyName: name, sampleName: name, labels: set.labels, bucketBound: nil)]
        else { return nil }
        let sumName = family.name + "_sum"
        let sum = set.others.first { other in
            isShown(layout.others[other])
                && ByteIdentity.equal(layout.series[layout.others[other]].key.sampleName.string, sumName)
        }.map { values[layout.others[$0]] }
        var histogram = merged.total.histogram(sum: sum ?? 0)
        histogram.exemplars = set.buckets.filter { isShown(layout.buckets[$0].series) }
            .compactMap { exemplar(of: layout.buckets[$0].series) }
            .sorted { ($0.timestamp?.unixSeconds ?? 0) < ($1.timestamp?.unixSeconds ?? 0) }
        return (histogram, merged.keepsClassicBuckets)
    }
}

import PrometheusClient
import PrometheusSystem

/// Builds the families of a merge from its series and values, sorted once: families by name, label
/// sets within a family, histogram buckets by bound (made cumulative, with `_count` derived from
/// them), other samples by name; all comparisons are on bytes. Pure.
enum MergedFamilyBuilder {
    /// The families of every present series, sorted by name.
    ///
    /// - Parameters:
    ///   - timestamps: the merged timestamp of each series; for counters, histograms and summaries the
    ///     earliest creation time (0 when no writer recorded one).
    ///   - includeCreated: whether those types get a `_created` sample per label set: the earliest
    ///     creation among its series, left out when none was recorded (Python's writers record none).
    ///   - exemplars: the latest exemplar of counter totals and histogram buckets, by series.
    ///   - native: the merged native buckets of histogram series (``NativeBucketMerger``): such a
    ///     series gets a native sample (with its sum, its count taken from the buckets, and its
    ///     buckets' exemplars) before its classic buckets, or instead of them when no writer keeps them.
    static func families(
        of series: [MergedSeriesTable.Series], values: [Double], timestamps: [Double] = [], present: [Bool],
        includeCreated: Bool = false, exemplars: [MergedSeriesKey: Exemplar] = [:],
        native: [MergedSeriesKey: NativeBucketMerger.Series] = [:]
    ) -> [MetricFamily] {
        let families = group(
            series, values: values, timestamps: timestamps, present: present, includeCreated: includeCreated,
            exemplars: exemplars)
        var result: [MetricFamily] = []
        result.reserveCapacity(families.count)
        for name in families.keys.sorted(by: { ByteIdentity.precedes($0.string, $1.string) }) {
            var entry = families[name]!
            entry.labelSets.sort { labelsPrecede($0.labels, $1.labels) }
            for set in entry.labelSets {
                appendSamples(of: set, named: name, to: &entry.family, native: native)
            }
            result.append(entry.family)
        }
        return result
    }

    /// The series of one label set of a family, as they were merged.
    private struct LabelSet {
        var labels: [Label]
        var buckets: [(bound: Double, value: Double, exemplar: Exemplar?)] = []
        var samples: [Sample] = []
        var created = 0.0
    }

    /// A family being built, with its label sets in the order first seen.
    private struct Family {
        var family: MetricFamily
        var labelSets: [LabelSet] = []
        var indexByLabels: [[Label]: Int] = [:]
    }

    /// The present series grouped by family and label set, with each set's earliest creation time.
    private static func group(
        _ series: [MergedSeriesTable.Series], values: [Double], timestamps: [Double], present: [Bool],
        includeCreated: Bool, exemplars: [MergedSeriesKey: Exemplar]
    ) -> [ByteString: Family] {
        var families: [ByteString: Family] = [:]
        for index in series.indices where index < present.count && present[index] {
            let info = series[index]
            let value = values[index]
            guard info.rule.shows(value) else { continue }
            let key = info.key
            var entry =
                families.removeValue(forKey: key.familyName)
                ?? Family(family: MetricFamily(name: key.familyName.string, help: info.help, type: info.type))
            let setIndex: Int
            if let existing = entry.indexByLabels[key.labels] {
                setIndex = existing
            } else {
                setIndex = entry.labelSets.count
                entry.indexByLabels[key.labels] = setIndex
                entry.labelSets.append(LabelSet(labels: key.labels))
            }
            if includeCreated, index < timestamps.count, info.type.hasCreatedSeries {
                let created = timestamps[index]
                let current = entry.labelSets[setIndex].created
                if created > 0 && (current == 0 || created < current) { entry.labelSets[setIndex].created = created }
            }
            let exemplar = exemplars.isEmpty ? nil : exemplars[key]
            if let bound = key.bucketBound {
                entry.labelSets[setIndex].buckets.append((bound, value, exemplar))
            } else {
                entry.labelSets[setIndex].samples.append(
                    Sample(name: key.sampleName.string, labels: key.labels, value: value, exemplar: exemplar))
            }
            families[key.familyName] = entry
        }
        return families
    }

    /// Appends one label set's samples: the native sample first, when merged native buckets exist;
    /// then buckets (cumulative) and `_count`, the other samples by name, and `_created`.
    private static func appendSamples(
        of set: LabelSet, named name: ByteString, to family: inout MetricFamily,
        native: [MergedSeriesKey: NativeBucketMerger.Series]
    ) {
        var samples = set.samples
        if family.type == .histogram {
            // A _sum needs its buckets and _count (they may all have been skipped), and is not a
            // counter beside negative buckets: as in the single-process histogram, leave it out.
            guard let lowest = set.buckets.map(\.bound).min() else { return }
            if lowest < 0 { samples = [] }
            if !native.isEmpty,
                let merged = native[
                    MergedSeriesKey(familyName: name, sampleName: name, labels: set.labels, bucketBound: nil)]
            {
                let sumName = name.string + "_sum"
                let sum = set.samples.first { ByteIdentity.equal($0.name, sumName) }?.value ?? 0
                var histogram = merged.total.histogram(sum: sum)
                histogram.exemplars = set.buckets.compactMap(\.exemplar).sorted {
                    ($0.timestamp?.unixSeconds ?? 0) < ($1.timestamp?.unixSeconds ?? 0)
                }
                family.samples.append(
                    Sample(name: name.string, labels: set.labels, value: 0, nativeHistogram: histogram))
                if !merged.keepsClassicBuckets {
                    appendCreated(set, named: name, to: &family)
                    return
                }
            }
        }
        if !set.buckets.isEmpty {
            var cumulative = 0.0
            for bucket in set.buckets.sorted(by: { $0.bound < $1.bound }) {
                cumulative += bucket.value
                family.samples.append(
                    Sample(
                        name: name.string + "_bucket",
                        labels: set.labels + [Label("le", GoFloatFormat.string(bucket.bound))],
                        value: cumulative, exemplar: bucket.exemplar))
            }
            family.samples.append(Sample(name: name.string + "_count", labels: set.labels, value: cumulative))
        }
        family.samples.append(contentsOf: samples.sorted { ByteIdentity.precedes($0.name, $1.name) })
        appendCreated(set, named: name, to: &family)
    }

    private static func appendCreated(_ set: LabelSet, named name: ByteString, to family: inout MetricFamily) {
        if set.created > 0 {
            family.samples.append(Sample(name: name.string + "_created", labels: set.labels, value: set.created))
        }
    }

    private static func labelsPrecede(_ lhs: [Label], _ rhs: [Label]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            if !ByteIdentity.equal(left.name, right.name) { return ByteIdentity.precedes(left.name, right.name) }
            if !ByteIdentity.equal(left.value, right.value) { return ByteIdentity.precedes(left.value, right.value) }
        }
        return lhs.count < rhs.count
    }
}

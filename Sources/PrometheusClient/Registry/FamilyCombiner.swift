/// Makes one family of the families of the same name that several collectors of a registry produce
/// (collectors that cannot name their families in advance, such as custom collectors beside a
/// ``MultiProcessCollector``, are not checked at registration). Pure.
///
/// The first family given wins: its HELP, type and unit are kept, a later family of another type
/// is left out, and a later family's series are added unless the first already has the series
/// (same labels, without `le`, `quantile` or a state set's own label). Whatever is left out is
/// reported, so nothing is dropped without a word.
enum FamilyCombiner {
    /// The combined family, and a reason for each family or series left out.
    static func combine(_ families: [MetricFamily]) -> (family: MetricFamily, problems: [String]) {
        precondition(!families.isEmpty, "nothing to combine")
        var combined = families[0]
        var problems: [String] = []
        var series = Set(combined.samples.map { seriesIdentity(of: $0, in: combined) })
        for other in families.dropFirst() {
            guard other.type == combined.type else {
                problems.append(
                    "family \(other.name) of type \(other.type.rawValue) left out: another collector produces it as a \(combined.type.rawValue)"
                )
                continue
            }
            var added: Set<[Label]> = []
            var duplicates = 0
            for sample in other.samples {
                let identity = seriesIdentity(of: sample, in: other)
                if series.contains(identity) && !added.contains(identity) {
                    duplicates += 1
                    continue
                }
                added.insert(identity)
                combined.samples.append(sample)
            }
            series.formUnion(added)
            if duplicates > 0 {
                problems.append(
                    "\(duplicates) sample(s) of family \(other.name) left out: another collector already produces their series"
                )
            }
        }
        return (combined, problems)
    }

    /// The labels that tell one series of the family from another, sorted by name.
    private static func seriesIdentity(of sample: Sample, in family: MetricFamily) -> [Label] {
        let ignored: String?
        switch family.type {
        case .histogram, .gaugeHistogram: ignored = "le"
        case .summary: ignored = "quantile"
        case .stateSet: ignored = family.name
        default: ignored = nil
        }
        return sample.labels.filter { label in ignored.map { !ByteIdentity.equal(label.name, $0) } ?? true }
            .sorted { ByteIdentity.precedes($0.name, $1.name) }
    }
}

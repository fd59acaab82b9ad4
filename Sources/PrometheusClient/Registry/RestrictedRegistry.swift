/// A view of a ``CollectorRegistry`` that collects only some sample names (the `name[]` query of a
/// scrape). Unlike the Python client it keeps each family's unit, and it always includes collectors
/// that cannot name their samples in advance (such as the multiprocess collector), filtering their
/// output.
public struct RestrictedRegistry: MetricsSource {
    /// The registry being filtered.
    public let registry: CollectorRegistry
    /// The sample names to keep (compared by bytes).
    public let sampleNames: Set<String>

    /// Collects the matching samples; families left with no samples are dropped.
    public func collect() -> CollectionResult {
        let (entries, targetInfo) = registry.snapshot()
        let wanted = Set(sampleNames.map(ByteString.init))
        let candidates = MultiprocessOverlap.uncovered(entries).filter { entry in
            guard let names = entry.names else { return true }
            return names.contains { wanted.contains(ByteString($0)) }
        }
        let wantsTargetInfo = wanted.contains(ByteString(CollectorRegistry.targetInfoName))
        var result = CollectorRegistry.collect(
            candidates.map(\.collector), targetInfo: wantsTargetInfo ? targetInfo : nil,
            includingCreated: CreatedSeries.isEnabled)
        result.families = result.families.compactMap { family in
            var filtered = family
            filtered.samples = family.samples.filter { wanted.contains(ByteString($0.name)) }
            return filtered.samples.isEmpty ? nil : filtered
        }
        return result
    }
}

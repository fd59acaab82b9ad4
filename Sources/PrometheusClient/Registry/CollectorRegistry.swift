import Synchronization

/// A set of collectors that is collected together for a scrape.
///
/// ``CollectorRegistry/default`` (defined with the built-in collectors it starts with) is the
/// process-wide registry the metric types register with unless told otherwise. A registry rejects a collector whose sample names clash with a registered one
/// (including the suffixes each type adds: `_total`, `_created`, `_sum`, `_count`, `_bucket`,
/// `_info`), so two metrics can never silently overwrite each other's series.
public final class CollectorRegistry: MetricsSource, Sendable {
    struct Entry: Sendable {
        let collector: any Collector
        /// The sample names the collector reserves, or nil when it cannot say in advance.
        let names: [String]?
        /// The collector again when it writes its own lines at scrape time (the metric types).
        let direct: (any DirectlyRenderedCollector)?
        /// The collector again when it writes several families itself (the multiprocess merge).
        let writer: (any FamilyWritingCollector)?
    }

    private struct State {
        var entries: [Entry] = []
        var owners: [ByteString: ObjectIdentifier] = [:]
        var targetInfo: [Label]? = nil
    }

    private let autoDescribe: Bool
    private let state = Mutex(State())

    static let targetInfoName = "target_info"

    /// Creates an empty registry.
    ///
    /// - Parameters:
    ///   - autoDescribe: whether to call `collect()` once at registration for collectors whose
    ///     `describe()` returns nil, so their names are checked for clashes too.
    ///   - targetInfo: labels for a `target_info` series describing this process, or nil.
    public init(autoDescribe: Bool = false, targetInfo: [String: String]? = nil) {
        self.autoDescribe = autoDescribe
        if let targetInfo, !targetInfo.isEmpty {
            state.withLock { $0.targetInfo = [Label](targetInfo) }
        }
    }

    /// Adds a collector.
    ///
    /// - Throws: `RegistryError.alreadyRegistered` for a collector registered before,
    ///   `RegistryError.duplicateTimeseries` when its names clash with registered ones (nothing is
    ///   registered then), `RegistryError.describeFailed` when auto-describing it threw.
    public func register(_ collector: any Collector) throws(RegistryError) {
        let names = try Self.reservedNames(of: collector, autoDescribe: autoDescribe)
        let identifier = ObjectIdentifier(collector)
        try state.withLock { state throws(RegistryError) in
            if state.entries.contains(where: { ObjectIdentifier($0.collector) == identifier }) {
                throw .alreadyRegistered(collector: Self.describe(collector))
            }
            var clashes = Set((names ?? []).filter { state.owners[ByteString($0)] != nil })
            if state.targetInfo != nil, names?.contains(Self.targetInfoName) == true {
                clashes.insert(Self.targetInfoName)
            }
            guard clashes.isEmpty else { throw .duplicateTimeseries(names: clashes.sorted()) }
            for name in names ?? [] { state.owners[ByteString(name)] = identifier }
            state.entries.append(
                Entry(
                    collector: collector, names: names, direct: collector as? any DirectlyRenderedCollector,
                    writer: collector as? any FamilyWritingCollector))
        }
    }

    /// Removes a collector, freeing its names.
    ///
    /// - Throws: `RegistryError.notRegistered` when it is not registered here.
    public func unregister(_ collector: any Collector) throws(RegistryError) {
        let identifier = ObjectIdentifier(collector)
        try state.withLock { state throws(RegistryError) in
            guard let index = state.entries.firstIndex(where: { ObjectIdentifier($0.collector) == identifier }) else {
                throw .notRegistered(collector: Self.describe(collector))
            }
            for name in state.entries[index].names ?? [] where state.owners[ByteString(name)] == identifier {
                state.owners.removeValue(forKey: ByteString(name))
            }
            state.entries.remove(at: index)
        }
    }

    /// Sets (or, with nil or an empty dictionary, removes) the labels of the `target_info` series.
    ///
    /// - Throws: `RegistryError.targetInfoConflict` when a registered collector produces `target_info`.
    public func setTargetInfo(_ labels: [String: String]?) throws(RegistryError) {
        try state.withLock { state throws(RegistryError) in
            guard let labels, !labels.isEmpty else {
                state.targetInfo = nil
                return
            }
            if state.owners[ByteString(Self.targetInfoName)] != nil { throw .targetInfoConflict }
            state.targetInfo = [Label](labels)
        }
    }

    /// The labels of the `target_info` series, or nil when none is set.
    public var targetInfo: [String: String]? {
        state.withLock { $0.targetInfo?.dictionary }
    }

    /// Collects every collector: `target_info` first, then each collector in registration order. A
    /// collector that throws is reported in ``CollectionResult/failures`` and the others are served.
    ///
    /// Families of the same name from several collectors (possible only for collectors that do not
    /// describe themselves) are combined into one (see ``FamilyCombiner``; what is left out is
    /// reported as a failure), and this process's metrics that a registered ``MultiProcessCollector``
    /// already merges from their files are not collected a second time.
    /// `_created` samples follow ``CreatedSeries/isEnabled``.
    public func collect() -> CollectionResult {
        collect(createdSeries: CreatedSeries.isEnabled)
    }

    /// Collects as ``collect()`` does, with the metric types' `_created` samples included or not,
    /// whatever ``CreatedSeries/isEnabled`` says. Custom collectors and a `MultiProcessCollector`
    /// decide for themselves (the latter through its own `createdSeries`).
    public func collect(createdSeries: Bool) -> CollectionResult {
        let (entries, targetInfo) = state.withLock { ($0.entries, $0.targetInfo) }
        return Self.collect(
            MultiprocessOverlap.uncovered(entries).map(\.collector), targetInfo: targetInfo,
            includingCreated: createdSeries)
    }

    /// A view of this registry that collects only the samples whose names are in `sampleNames` (as the
    /// `name[]` query parameter of a scrape asks). Names are sample names: `requests_total`, not
    /// `requests`. Collectors that cannot say their names in advance are always collected and filtered.
    public func restricted(toSampleNames sampleNames: Set<String>) -> RestrictedRegistry {
        RestrictedRegistry(registry: self, sampleNames: sampleNames)
    }

    /// The value of the first sample called `name` whose labels are exactly `labels`, or nil. Meant for
    /// tests; it collects the whole registry.
    public func sampleValue(name: String, labels: [String: String] = [:]) -> Double? {
        for family in collect().families {
            for sample in family.samples
            where ByteIdentity.equal(sample.name, name)
                && sample.labels.sorted(by: Self.labelPrecedes) == [Label](labels)
            {
                return sample.value
            }
        }
        return nil
    }

    private static func labelPrecedes(_ lhs: Label, _ rhs: Label) -> Bool {
        ByteIdentity.precedes(lhs.name, rhs.name)
    }

    /// The entries and target info, for ``RestrictedRegistry``.
    func snapshot() -> (entries: [Entry], targetInfo: [Label]?) {
        state.withLock { ($0.entries, $0.targetInfo) }
    }

    static func collect(_ collectors: [any Collector], targetInfo: [Label]?, includingCreated: Bool) -> CollectionResult
    {
        var result = CollectionResult(families: [])
        if let targetInfo {
            result.families.append(targetInfoFamily(targetInfo))
        }
        var sources: [String] = []
        for collector in collectors {
            do {
                let families = try collector.collect(includingCreated: includingCreated)
                result.families.append(contentsOf: families)
                sources.append(contentsOf: repeatElement(describe(collector), count: families.count))
            } catch {
                result.failures.append(CollectorFailure(collector: describe(collector), error: error))
            }
        }
        combineSameNames(&result, sources: sources)
        return result
    }

    /// Replaces families that share a name with one combined family, at the first one's position.
    private static func combineSameNames(_ result: inout CollectionResult, sources: [String]) {
        var firstIndex: [ByteString: Int] = [:]
        var repeated: [Int: [Int]] = [:]
        for (index, family) in result.families.enumerated() {
            let name = ByteString(family.name)
            if let first = firstIndex[name] {
                repeated[first, default: []].append(index)
            } else {
                firstIndex[name] = index
            }
        }
        guard !repeated.isEmpty else { return }
        var dropped = Set<Int>()
        for (first, others) in repeated {
            let (family, problems) = FamilyCombiner.combine(
                [result.families[first]] + others.map { result.families[$0] })
            result.families[first] = family
            dropped.formUnion(others)
            for problem in problems {
                result.failures.append(
                    CollectorFailure(
                        collector: others.map { sources[$0] }.joined(separator: ", "),
                        error: RegistryError.clashingFamilies(reason: problem)))
            }
        }
        result.families = result.families.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }

    static func targetInfoFamily(_ labels: [Label]) -> MetricFamily {
        MetricFamily(
            name: "target", help: "Target metadata", type: .info,
            samples: [Sample(name: targetInfoName, labels: labels, value: 1)])
    }

    private static func reservedNames(of collector: any Collector, autoDescribe: Bool) throws(RegistryError)
        -> [String]?
    {
        var families = collector.describe()
        if families == nil, autoDescribe {
            do {
                families = try collector.collect()
            } catch {
                throw .describeFailed(collector: describe(collector), reason: "\(error)")
            }
        }
        return families.map { $0.flatMap(\.reservedNames) }
    }

    static func describe(_ collector: any Collector) -> String {
        if let metric = collector as? any NamedCollector {
            return "\(type(of: collector))(\(metric.name))"
        }
        return String(describing: type(of: collector))
    }
}

/// A collector with a name to show in error messages.
protocol NamedCollector {
    var name: String { get }
}

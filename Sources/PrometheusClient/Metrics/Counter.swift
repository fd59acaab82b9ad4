/// A value that only goes up (or resets to zero): requests served, bytes sent, errors seen.
///
/// Exposed as `<name>_total`, with a `<name>_created` sample holding the time the series was created
/// or last reset (see ``CreatedSeries``). A trailing `_total` in the given name is dropped from the
/// family name, so `Counter(name: "requests_total", ...)` and `Counter(name: "requests", ...)` are
/// the same.
///
/// ```swift
/// let jobs = try Counter(name: "jobs", help: "Jobs run.")                 // Counter<Unlabelled>
/// jobs.inc()                                                             // no try: cannot fail
/// let requests = try Counter(name: "http_requests", help: "Requests served.", labelNames: ["route"])
/// let home = try requests.labels("/")   // cache this child: its inc() is one atomic add
/// home.inc()
/// ```
public final class Counter<Labels: LabelShape>: Metric<CounterChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = CounterChild

    private init(definition: MetricDefinition, registry: CollectorRegistry?) throws {
        let store = try ActiveValueStore.current()
        let slots = [SeriesDescriptor.SlotTemplate(sampleName: definition.name + "_total")]
        let layout = SeriesLayout(kind: .counter, definition: definition, slotTemplates: slots)
        super.init(definition: definition, store: store) { values in
            let descriptor = SeriesDescriptor(layout: layout, labelValues: values)
            return CounterChild(storage: store.makeSeries(descriptor))
        }
        try register(in: registry)
    }

    override var writesOwnLines: Bool { true }

    override func writeLines(
        of children: ChildrenSnapshot<CounterChild>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        writeSpelledLines(
            of: children, with: &lines, includeCreated: includeCreated, createdDigits: &createdDigits, to: &buffer)
    }

    override func appendSamples(
        of child: CounterChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample]
    ) {
        appendSpelledSamples(of: child, labels: labels, includeCreated: includeCreated, to: &samples)
    }
}

extension Counter where Labels == Unlabelled {
    /// Creates a counter without labels and registers it.
    ///
    /// - Parameters:
    ///   - name: the metric name; joined as `namespace_subsystem_name_unit`, without a trailing `_total`.
    ///   - help: the help text.
    ///   - registry: where to register; `nil` registers nowhere (for example in multiprocess workers).
    /// - Throws: `MetricError` for invalid names, `RegistryError.duplicateTimeseries` when the names
    ///   clash with a registered metric, `MultiprocessError` when the multiprocess directory is unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "", unit: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: MetricDefinition(
                name: name, help: help, type: .counter, namespace: namespace, subsystem: subsystem, unit: unit,
                labelNames: []),
            registry: registry)
    }

    /// Adds 1. One atomic add, no lock, no allocation.
    public func inc() {
        single.inc()
    }

    /// Adds a whole `amount` with no `try`; a negative one stops the process (see
    /// ``CounterChild/inc(by:)-(Int)``).
    public func inc(by amount: Int) {
        single.inc(by: amount)
    }

    /// Adds `amount`, which must be zero or positive.
    ///
    /// - Throws: `MetricError.invalidIncrement` for a negative or NaN amount (nothing is added).
    public func inc(by amount: Double) throws(MetricError) {
        try single.inc(by: amount)
    }

    /// Adds `amount` and remembers an exemplar for it; see ``CounterChild/inc(by:exemplar:)``.
    ///
    /// - Throws: `MetricError.invalidIncrement` or `MetricError.invalidExemplar`; nothing is added then.
    public func inc(by amount: Double = 1, exemplar: [String: String]) throws(MetricError) {
        try single.inc(by: amount, exemplar: exemplar)
    }

    /// Sets the count back to zero and the `_created` time to now.
    public func reset() {
        single.reset()
    }

    /// The current count.
    public var value: Double {
        single.value
    }

    /// Runs `body`, adding 1 if it throws; see ``CounterChild/countExceptions(_:)-(()->T)``.
    ///
    /// - Throws: whatever `body` throws.
    public func countExceptions<T>(_ body: () throws -> T) rethrows -> T {
        try single.countExceptions(body)
    }

    /// Awaits `body`, adding 1 if it throws.
    ///
    /// - Throws: whatever `body` throws.
    public func countExceptions<T>(_ body: () async throws -> T) async rethrows -> T {
        try await single.countExceptions(body)
    }
}

extension Counter where Labels == Labelled {
    /// Creates a counter with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Parameters:
    ///   - labelNames: the label names every child must give values for.
    ///   - registry: where to register; `nil` registers nowhere (for example in multiprocess workers).
    /// - Throws: as ``init(name:help:namespace:subsystem:unit:registry:)``, and `MetricError` for
    ///   invalid, reserved or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        unit: String = "", registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: MetricDefinition(
                name: name, help: help, type: .counter, namespace: namespace, subsystem: subsystem, unit: unit,
                labelNames: labelNames),
            registry: registry)
    }
}

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

    private let totalName: String
    private let createdName: String

    private init(definition: MetricDefinition, registry: CollectorRegistry?) throws {
        let store = try ActiveValueStore.current()
        let totalName = definition.name + "_total"
        self.totalName = totalName
        createdName = definition.name + "_created"
        let slots = [SeriesDescriptor.SlotTemplate(sampleName: totalName)]
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
        let total = lines.sampleName(totalName)
        let created = lines.sampleName(createdName)
        let isOpenMetrics = lines.format.isOpenMetrics
        let inlineCreated = includeCreated && isOpenMetrics
        createdDigits.withUnsafeMutableBufferPointer { digits in
            writePass(
                of: children, with: &lines,
                lineBytes: SeriesLineWriter.lineBytes(name: total)
                    + (inlineCreated ? SeriesLineWriter.lineBytes(name: created) : 0),
                linesPerChild: inlineCreated ? 2 : 1, to: &buffer,
                fast: { index, child, lines, writer in
                    if isOpenMetrics && child.hasExemplar { return false }
                    lines.writeLine(total, value: child.value, to: &writer)
                    if inlineCreated {
                        lines.writeLine(created, value: child.createdTime, cached: &digits[index], to: &writer)
                    }
                    return true
                },
                slow: { index, child, lines, buffer in
                    lines.writeLine(
                        total, value: child.value, exemplar: isOpenMetrics ? child.exemplar : nil, to: &buffer)
                    if inlineCreated {
                        lines.writeLine(created, value: child.createdTime, cached: &digits[index], to: &buffer)
                    }
                })
        }
        if includeCreated && !isOpenMetrics {
            writeTextCreatedFamily(of: children, with: &lines, createdDigits: &createdDigits, to: &buffer) {
                $0.createdTime
            }
        }
    }

    override func appendSamples(
        of child: CounterChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample]
    ) {
        samples.append(Sample(name: totalName, labels: labels, value: child.value, exemplar: child.exemplar))
        if includeCreated {
            samples.append(Sample(name: createdName, labels: labels, value: child.createdTime))
        }
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

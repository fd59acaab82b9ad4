/// A value that goes up and down: queue length, memory in use, requests in progress, a temperature.
///
/// In multiprocess mode each process writes its own value and ``MultiprocessMode`` says how the
/// master combines them (per process with a `pid` label, min, max, sum, or most recent).
///
/// ```swift
/// let inProgress = try Gauge(name: "jobs_in_progress", help: "Jobs running.", multiprocessMode: .livesum)
/// try inProgress.trackInProgress { try runJob() }
/// ```
public final class Gauge<Labels: LabelShape>: Metric<GaugeChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = GaugeChild

    /// How multiprocess mode combines this gauge across processes.
    public let multiprocessMode: MultiprocessMode

    private init(definition: MetricDefinition, multiprocessMode: MultiprocessMode, registry: CollectorRegistry?) throws
    {
        let store = try ActiveValueStore.current()
        self.multiprocessMode = multiprocessMode
        let slots = [SeriesDescriptor.SlotTemplate(sampleName: definition.name)]
        let layout = SeriesLayout(kind: .gauge(multiprocessMode), definition: definition, slotTemplates: slots)
        super.init(definition: definition, store: store) { values in
            let descriptor = SeriesDescriptor(layout: layout, labelValues: values)
            return GaugeChild(storage: store.makeSeries(descriptor), mode: multiprocessMode)
        }
        try register(in: registry)
    }

    override var writesOwnLines: Bool { true }

    override func writeLines(
        of children: ChildrenSnapshot<GaugeChild>, with lines: inout SeriesLineWriter, includeCreated: Bool,
        createdDigits: inout [CachedDigits], to buffer: inout ExpositionBuffer
    ) {
        writeSpelledLines(
            of: children, with: &lines, includeCreated: includeCreated, createdDigits: &createdDigits, to: &buffer)
    }

    override func appendSamples(of child: GaugeChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample])
    {
        appendSpelledSamples(of: child, labels: labels, includeCreated: includeCreated, to: &samples)
    }
}

extension Gauge where Labels == Unlabelled {
    /// Creates a gauge without labels and registers it.
    ///
    /// - Parameters:
    ///   - multiprocessMode: how a multiprocess master combines the processes' values (default `.all`:
    ///     one series per process with a `pid` label).
    ///   - registry: where to register; `nil` registers nowhere.
    /// - Throws: `MetricError` for invalid names, `RegistryError` for clashes, `MultiprocessError` when
    ///   the multiprocess directory is unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "", unit: String = "",
        multiprocessMode: MultiprocessMode = .all, registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: MetricDefinition(
                name: name, help: help, type: .gauge, namespace: namespace, subsystem: subsystem, unit: unit,
                labelNames: []),
            multiprocessMode: multiprocessMode, registry: registry)
    }

    /// Sets the value.
    public func set(_ value: Double) {
        single.set(value)
    }

    /// Sets the value to `duration` in seconds.
    public func set(_ duration: Duration) {
        single.set(duration)
    }

    /// Adds `amount` (default 1).
    public func inc(by amount: Double = 1) {
        single.inc(by: amount)
    }

    /// Subtracts `amount` (default 1).
    public func dec(by amount: Double = 1) {
        single.dec(by: amount)
    }

    /// Sets the value to the current Unix time.
    public func setToCurrentTime() {
        single.setToCurrentTime()
    }

    /// Makes the gauge report `callback()` at every collection.
    public func setFunction(_ callback: @escaping @Sendable () -> Double) {
        single.setFunction(callback)
    }

    /// Tracks `body` as in progress: 1 is added while it runs.
    ///
    /// - Throws: whatever `body` throws.
    public func trackInProgress<T>(_ body: () throws -> T) rethrows -> T {
        try single.trackInProgress(body)
    }

    /// Tracks `body` as in progress until it finishes.
    ///
    /// - Throws: whatever `body` throws.
    public func trackInProgress<T>(_ body: () async throws -> T) async rethrows -> T {
        try await single.trackInProgress(body)
    }

    /// The current value.
    public var value: Double {
        single.value
    }
}

extension Gauge where Labels == Labelled {
    /// Creates a gauge with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Throws: as ``init(name:help:namespace:subsystem:unit:multiprocessMode:registry:)``, and
    ///   `MetricError` for invalid, reserved or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        unit: String = "", multiprocessMode: MultiprocessMode = .all, registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            definition: MetricDefinition(
                name: name, help: help, type: .gauge, namespace: namespace, subsystem: subsystem, unit: unit,
                labelNames: labelNames),
            multiprocessMode: multiprocessMode, registry: registry)
    }
}

/// An unlabelled gauge times work itself: `time { ... }` (see ``DurationObserver``).
extension Gauge: DurationObserver where Labels == Unlabelled {
    /// Records a duration in seconds.
    public func observeDuration(_ seconds: Double) {
        single.set(seconds)
    }
}

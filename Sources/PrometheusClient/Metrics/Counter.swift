import Synchronization

/// A value that only goes up (or resets to zero): requests served, bytes sent, errors seen.
///
/// Exposed as `<name>_total`, with a `<name>_created` sample holding the time the child was created or
/// last reset (see ``CreatedSeries``). A trailing `_total` in the given name is dropped from the family
/// name, so `Counter(name: "requests_total", ...)` and `Counter(name: "requests", ...)` are the same.
///
/// ```swift
/// let requests = try Counter(name: "http_requests", help: "Requests served.", labelNames: ["route"])
/// let home = try requests.labels("/")   // cache this child: its inc() is one atomic add
/// home.inc()
/// ```
public final class Counter: Metric<Counter.Child>, @unchecked Sendable {
    /// The counter for one set of label values. Lock-free and allocation-free to increment.
    public final class Child: Sendable {
        let storage: SeriesStorage
        private let created = AtomicDouble(WallClock.now())
        private let latestExemplar = Mutex<Exemplar?>(nil)
        /// Set once an exemplar exists, so collections of counters without exemplars skip the lock.
        private let hasExemplar = Atomic(false)
        private let metricName: String

        init(storage: SeriesStorage, metricName: String) {
            self.storage = storage
            self.metricName = metricName
        }

        /// Adds 1.
        @inline(__always)
        public func inc() {
            storage.add(1, at: 0)
        }

        /// Adds `amount`, which must be zero or positive.
        ///
        /// - Throws: `MetricError.invalidIncrement` for a negative or NaN amount (nothing is added).
        @inline(__always)
        public func inc(by amount: Double) throws(MetricError) {
            guard amount >= 0 else { throw .invalidIncrement(metric: metricName, amount: amount) }
            storage.add(amount, at: 0)
        }

        /// Adds `amount` and remembers an exemplar (for example a trace id) for it, replacing the
        /// previous one. Exemplars appear in OpenMetrics output only, and not in multiprocess mode.
        ///
        /// - Throws: `MetricError.invalidIncrement` for a negative or NaN amount, and
        ///   `MetricError.invalidExemplar` for invalid exemplar labels; nothing is added then.
        public func inc(by amount: Double = 1, exemplar labels: [String: String]) throws(MetricError) {
            guard amount >= 0 else { throw .invalidIncrement(metric: metricName, amount: amount) }
            let exemplar = labels.isEmpty ? nil : try Exemplar.validated(labels: labels, value: amount)
            storage.add(amount, at: 0)
            if let exemplar {
                latestExemplar.withLock { $0 = exemplar }
                hasExemplar.store(true, ordering: .releasing)
            }
        }

        /// Sets the count back to zero and the `_created` time to now.
        public func reset() {
            storage.set(0, at: 0)
            created.store(WallClock.now())
        }

        /// The current count.
        public var value: Double { storage.value(at: 0) }

        /// Runs `body` and adds 1 if it throws (an error of any type); the error is rethrown.
        public func countExceptions<T>(_ body: () throws -> T) rethrows -> T {
            do {
                return try body()
            } catch {
                inc()
                throw error
            }
        }

        /// Runs `body` and adds 1 if it throws an error of type `errorType`; any error is rethrown.
        public func countExceptions<T, E: Error>(of errorType: E.Type, _ body: () throws -> T) rethrows -> T {
            do {
                return try body()
            } catch {
                if error is E { inc() }
                throw error
            }
        }

        /// Awaits `body` and adds 1 if it throws (an error of any type); the error is rethrown.
        public func countExceptions<T>(_ body: () async throws -> T) async rethrows -> T {
            do {
                return try await body()
            } catch {
                inc()
                throw error
            }
        }

        /// Awaits `body` and adds 1 if it throws an error of type `errorType`; any error is rethrown.
        public func countExceptions<T, E: Error>(of errorType: E.Type, _ body: () async throws -> T) async rethrows
            -> T
        {
            do {
                return try await body()
            } catch {
                if error is E { inc() }
                throw error
            }
        }

        var createdTime: Double { created.value }
        var exemplar: Exemplar? {
            hasExemplar.load(ordering: .acquiring) ? latestExemplar.withLock { $0 } : nil
        }
    }

    private let totalName: String
    private let createdName: String

    /// Creates a counter and registers it.
    ///
    /// - Parameters:
    ///   - name: the metric name; joined as `namespace_subsystem_name_unit`, without a trailing `_total`.
    ///   - help: the help text.
    ///   - labelNames: the label names every child must give values for.
    ///   - registry: where to register; `nil` registers nowhere (for example in multiprocess workers).
    /// - Throws: `MetricError` for invalid names, `RegistryError.duplicateTimeseries` when the names
    ///   clash with a registered metric, `MultiprocessError` when the multiprocess directory is unusable.
    public init(
        name: String,
        help: String,
        labelNames: [String] = [],
        namespace: String = "",
        subsystem: String = "",
        unit: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        let definition = try MetricDefinition(
            name: name, help: help, type: .counter, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames)
        let store = try ActiveValueStore.current()
        let totalName = definition.name + "_total"
        self.totalName = totalName
        createdName = definition.name + "_created"
        let slots = [SeriesDescriptor.SlotTemplate(sampleName: totalName)]
        super.init(definition: definition, store: store) { labels in
            let descriptor = SeriesDescriptor(
                kind: .counter, familyName: definition.name, help: definition.help, labels: labels,
                slotTemplates: slots)
            return Child(storage: store.makeSeries(descriptor), metricName: definition.name)
        }
        try register(in: registry)
    }

    /// Adds 1 to a counter without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the counter has label names.
    public func inc() throws(MetricError) {
        try observableChild().inc()
    }

    /// Adds `amount` to a counter without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or `MetricError.invalidIncrement` for a negative or
    ///   NaN amount.
    public func inc(by amount: Double) throws(MetricError) {
        try observableChild().inc(by: amount)
    }

    /// Adds `amount` with an exemplar to a counter without labels.
    ///
    /// - Throws: as ``Child/inc(by:exemplar:)``, and `MetricError.missingLabelValues`.
    public func inc(by amount: Double = 1, exemplar: [String: String]) throws(MetricError) {
        try observableChild().inc(by: amount, exemplar: exemplar)
    }

    /// Resets a counter without labels to zero.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the counter has label names.
    public func reset() throws(MetricError) {
        try observableChild().reset()
    }

    /// The value of a counter without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the counter has label names.
    public func value() throws(MetricError) -> Double {
        try observableChild().value
    }

    /// Runs `body`, adding 1 if it throws; see ``Child/countExceptions(_:)-(()->T)``.
    ///
    /// - Throws: `MetricError.missingLabelValues` before running `body` when the counter has label
    ///   names, or whatever `body` throws.
    public func countExceptions<T>(_ body: () throws -> T) throws -> T {
        try observableChild().countExceptions(body)
    }

    /// Awaits `body`, adding 1 if it throws.
    ///
    /// - Throws: `MetricError.missingLabelValues` before running `body` when the counter has label
    ///   names, or whatever `body` throws.
    public func countExceptions<T>(_ body: () async throws -> T) async throws -> T {
        try await observableChild().countExceptions(body)
    }

    override func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        samples.append(Sample(name: totalName, labels: labels, value: child.value, exemplar: child.exemplar))
        if includeCreated {
            samples.append(Sample(name: createdName, labels: labels, value: child.createdTime))
        }
    }

}

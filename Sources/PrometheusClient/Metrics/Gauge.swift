import Synchronization

/// A value that goes up and down: queue length, memory in use, requests in progress, a temperature.
///
/// In multiprocess mode each process writes its own value and ``MultiprocessMode`` says how the
/// master combines them (per process with a `pid` label, min, max, sum, or most recent).
///
/// ```swift
/// let inProgress = try Gauge(name: "jobs_in_progress", help: "Jobs running.", multiprocessMode: .livesum)
/// try inProgress.trackInProgress { try runJob() }
/// ```
public final class Gauge: Metric<Gauge.Child>, @unchecked Sendable {
    /// The gauge for one set of label values. `set` is lock-free and allocation-free, and so are
    /// `inc` and `dec` outside the mostrecent modes.
    public final class Child: DurationObserver, Sendable {
        let storage: SeriesStorage
        private let metricName: String
        private let mode: MultiprocessMode
        private let callback = Mutex<(@Sendable () -> Double)?>(nil)

        init(storage: SeriesStorage, metricName: String, mode: MultiprocessMode) {
            self.storage = storage
            self.metricName = metricName
            self.mode = mode
        }

        /// Sets the value. In the mostrecent modes the wall-clock time of the call is stored with it,
        /// so the master can pick the latest value across processes.
        @inline(__always)
        public func set(_ value: Double) {
            if mode.isMostRecent {
                storage.set(value, timestamp: WallClock.now(), at: 0)
            } else {
                storage.set(value, at: 0)
            }
        }

        /// Adds `amount` (default 1).
        ///
        /// - Throws: `MetricError.operationNotSupported` in the mostrecent modes, where only `set` has
        ///   a meaningful time to compare across processes.
        @inline(__always)
        public func inc(by amount: Double = 1) throws(MetricError) {
            guard !mode.isMostRecent else { throw unsupported("inc") }
            storage.add(amount, at: 0)
        }

        /// Subtracts `amount` (default 1).
        ///
        /// - Throws: `MetricError.operationNotSupported` in the mostrecent modes.
        @inline(__always)
        public func dec(by amount: Double = 1) throws(MetricError) {
            guard !mode.isMostRecent else { throw unsupported("dec") }
            storage.add(-amount, at: 0)
        }

        /// Sets the value to the current Unix time in seconds.
        public func setToCurrentTime() {
            set(WallClock.now())
        }

        /// Adds 1 while `body` runs, then subtracts it again, also when `body` throws.
        ///
        /// - Throws: `MetricError.operationNotSupported` in the mostrecent modes (before running
        ///   `body`), or whatever `body` throws.
        public func trackInProgress<T>(_ body: () throws -> T) throws -> T {
            try inc()
            defer { storage.add(-1, at: 0) }
            return try body()
        }

        /// Adds 1 while `body` runs (until it finishes, suspensions included), then subtracts it.
        ///
        /// - Throws: `MetricError.operationNotSupported` in the mostrecent modes, or whatever `body`
        ///   throws.
        public func trackInProgress<T>(_ body: () async throws -> T) async throws -> T {
            try inc()
            defer { storage.add(-1, at: 0) }
            return try await body()
        }

        /// Sets the gauge to a duration, in seconds; used by ``DurationObserver/time(_:)-(()->T)``.
        public func observeDuration(_ seconds: Double) {
            set(seconds)
        }

        /// Makes the gauge report `callback()` at every collection instead of its stored value (for
        /// example a queue's current length). Not seen by a multiprocess master, which reads files.
        public func setFunction(_ callback: @escaping @Sendable () -> Double) {
            self.callback.withLock { $0 = callback }
        }

        /// The current value (the callback's result when one is set).
        public var value: Double {
            if let callback = callback.withLock({ $0 }) { return callback() }
            return storage.value(at: 0)
        }

        private func unsupported(_ operation: String) -> MetricError {
            .operationNotSupported(
                metric: metricName,
                reason: "\(operation) cannot be used in multiprocess mode \(mode.rawValue); use set(_:)")
        }
    }

    /// How multiprocess mode combines this gauge across processes.
    public let multiprocessMode: MultiprocessMode

    /// Creates a gauge and registers it.
    ///
    /// - Parameters:
    ///   - multiprocessMode: how a multiprocess master combines the processes' values (default `.all`:
    ///     one series per process with a `pid` label).
    ///   - registry: where to register; `nil` registers nowhere.
    /// - Throws: `MetricError` for invalid names, `RegistryError` for clashes, `MultiprocessError` when
    ///   the multiprocess directory is unusable.
    public init(
        name: String,
        help: String,
        labelNames: [String] = [],
        namespace: String = "",
        subsystem: String = "",
        unit: String = "",
        multiprocessMode: MultiprocessMode = .all,
        registry: CollectorRegistry? = .default
    ) throws {
        let definition = try MetricDefinition(
            name: name, help: help, type: .gauge, namespace: namespace, subsystem: subsystem, unit: unit,
            labelNames: labelNames)
        let store = try ActiveValueStore.current()
        self.multiprocessMode = multiprocessMode
        let slots = [SeriesDescriptor.SlotTemplate(sampleName: definition.name)]
        super.init(definition: definition, store: store) { labels in
            let descriptor = SeriesDescriptor(
                kind: .gauge(multiprocessMode), familyName: definition.name, help: definition.help, labels: labels,
                slotTemplates: slots)
            return Child(storage: store.makeSeries(descriptor), metricName: definition.name, mode: multiprocessMode)
        }
        try register(in: registry)
    }

    /// Sets a gauge without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the gauge has label names.
    public func set(_ value: Double) throws(MetricError) {
        try observableChild().set(value)
    }

    /// Adds `amount` to a gauge without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or `MetricError.operationNotSupported` in the
    ///   mostrecent modes.
    public func inc(by amount: Double = 1) throws(MetricError) {
        try observableChild().inc(by: amount)
    }

    /// Subtracts `amount` from a gauge without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or `MetricError.operationNotSupported` in the
    ///   mostrecent modes.
    public func dec(by amount: Double = 1) throws(MetricError) {
        try observableChild().dec(by: amount)
    }

    /// Sets a gauge without labels to the current Unix time.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the gauge has label names.
    public func setToCurrentTime() throws(MetricError) {
        try observableChild().setToCurrentTime()
    }

    /// Makes a gauge without labels report `callback()` at every collection.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the gauge has label names.
    public func setFunction(_ callback: @escaping @Sendable () -> Double) throws(MetricError) {
        try observableChild().setFunction(callback)
    }

    /// Tracks `body` as in progress on a gauge without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues`, `MetricError.operationNotSupported`, or whatever
    ///   `body` throws.
    public func trackInProgress<T>(_ body: () throws -> T) throws -> T {
        try observableChild().trackInProgress(body)
    }

    /// Tracks `body` as in progress on a gauge without labels, until it finishes.
    ///
    /// - Throws: `MetricError.missingLabelValues`, `MetricError.operationNotSupported`, or whatever
    ///   `body` throws.
    public func trackInProgress<T>(_ body: () async throws -> T) async throws -> T {
        try await observableChild().trackInProgress(body)
    }

    /// Sets a gauge without labels to how long `body` took.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () throws -> T) throws -> T {
        try observableChild().time(body)
    }

    /// Sets a gauge without labels to how long `body` took until it finished.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or whatever `body` throws.
    public func time<T>(_ body: () async throws -> T) async throws -> T {
        try await observableChild().time(body)
    }

    /// The value of a gauge without labels.
    ///
    /// - Throws: `MetricError.missingLabelValues` when the gauge has label names.
    public func value() throws(MetricError) -> Double {
        try observableChild().value
    }

    override func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        samples.append(Sample(name: name, labels: labels, value: child.value))
    }
}

import Synchronization

/// One series of a ``Counter``: the counter for one set of label values (or the only series of an
/// unlabelled counter). Lock-free and allocation-free to increment.
public final class CounterChild: Sendable {
    let storage: SeriesStorage
    private let created = AtomicDouble(WallClock.now())
    /// Made with the first exemplar: a series that never has one pays a null pointer for it, and
    /// collections of such series take no lock.
    private let latestExemplar = ExemplarSlots.Reference()

    init(storage: SeriesStorage) {
        self.storage = storage
    }

    private var metricName: String { storage.descriptor.familyName }

    /// Adds 1.
    @inline(__always)
    public func inc() {
        if storage.countsWholeIncrements {
            storage.addWhole(1)
        } else {
            storage.addToFirst(1)
        }
    }

    /// Adds a whole `amount`, with no `try`: `inc(by: 3)`. In a single process it is one atomic add
    /// on an integer, as ``inc()`` is.
    ///
    /// A negative amount is a programmer error, as an arithmetic overflow is: it stops the process
    /// with a message naming the metric. Amounts that may be negative go to the throwing
    /// `inc(by:)` with a `Double`.
    @inline(__always)
    public func inc(by amount: Int) {
        guard amount >= 0 else { negativeIncrement(amount) }
        if storage.countsWholeIncrements {
            storage.addWhole(Int64(amount))
        } else {
            storage.addToFirst(Double(amount))
        }
    }

    @inline(never)
    private func negativeIncrement(_ amount: Int) -> Never {
        preconditionFailure("PrometheusClient: counter \(metricName) cannot go down (inc(by: \(amount)))")
    }

    /// Adds `amount`, which must be zero or positive.
    ///
    /// - Throws: `MetricError.invalidIncrement` for a negative or NaN amount (nothing is added).
    @inline(__always)
    public func inc(by amount: Double) throws(MetricError) {
        guard amount >= 0 else { throw .invalidIncrement(metric: metricName, amount: amount) }
        storage.addToFirst(amount)
    }

    /// Adds `amount` and remembers an exemplar (for example a trace id) for it, replacing the
    /// previous one. Exemplars appear in OpenMetrics output only. In multiprocess mode the exemplar
    /// is also written to the process's exemplar file, and the master shows the latest one of all
    /// processes; that costs a lock and a copy of the labels, and only calls with an exemplar pay it.
    ///
    /// - Throws: `MetricError.invalidIncrement` for a negative or NaN amount, and
    ///   `MetricError.invalidExemplar` for invalid exemplar labels; nothing is added then.
    public func inc(by amount: Double = 1, exemplar labels: [String: String]) throws(MetricError) {
        guard amount >= 0 else { throw .invalidIncrement(metric: metricName, amount: amount) }
        let exemplar = labels.isEmpty ? nil : try Exemplar.validated(labels: labels, value: amount)
        storage.add(amount, at: 0)
        if let exemplar {
            ExemplarSlots.slots(in: latestExemplar, count: 1).store(exemplar, at: 0)
            storage.recordExemplar(exemplar, at: 0)
        }
    }

    /// Sets the count back to zero and the `_created` time to now.
    public func reset() {
        let now = WallClock.now()
        if storage.countsWholeIncrements {
            storage.set(0, at: 0)
            storage.resetWholeIncrements()
        } else {
            // In a multiprocess file the timestamp beside the value is the series' creation time.
            storage.set(0, timestamp: now, at: 0)
        }
        created.store(now)
    }

    /// The current count.
    @inline(__always)
    public var value: Double { storage.value(at: 0) + Double(storage.wholeIncrements()) }

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
    /// Whether the series ever had an exemplar (no lock).
    var hasExemplar: Bool { latestExemplar.load() != nil }

    var exemplar: Exemplar? {
        latestExemplar.load()?.exemplars[0]
    }
}

extension CounterChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { [storage] }
}

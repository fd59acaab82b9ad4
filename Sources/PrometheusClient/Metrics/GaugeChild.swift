import PrometheusSystem
import Synchronization

/// One series of a ``Gauge``. `set`, `inc` and `dec` are lock-free and allocation-free.
public final class GaugeChild: DurationObserver, Sendable {
    let storage: SeriesStorage
    /// Whether sets record their time (the mostrecent modes), decided once rather than per set.
    private let recordsTimestamps: Bool
    /// The callback of ``setFunction(_:)``, made at its first call. `hasCallback` is set once it
    /// exists: a gauge without one pays a plain atomic load per read, nothing more.
    private let callbackCell = AtomicLazyReference<CallbackCell>()
    private let hasCallback = Atomic<Bool>(false)

    init(storage: SeriesStorage, mode: MultiprocessMode) {
        self.storage = storage
        recordsTimestamps = mode.isMostRecent
    }

    /// Sets the value. In the mostrecent modes the wall-clock time of the call is stored with it,
    /// so the master can pick the latest value across processes.
    @inline(__always)
    public func set(_ value: Double) {
        if recordsTimestamps {
            storage.set(value, timestamp: WallClock.now(), at: 0)
        } else {
            storage.setFirst(value)
        }
    }

    /// Sets the value to `duration` in seconds (the time a job last took, say).
    public func set(_ duration: Duration) {
        set(duration.secondsValue)
    }

    /// Adds `amount` (default 1). In the mostrecent modes the time of the change is stored too: the
    /// process that changed its gauge last is the one whose value the master shows. (The Python
    /// client refuses inc and dec in those modes, which also makes `track_inprogress` unusable.)
    @inline(__always)
    public func inc(by amount: Double = 1) {
        if recordsTimestamps {
            storage.add(amount, timestamp: WallClock.now(), at: 0)
        } else {
            storage.addToFirst(amount)
        }
    }

    /// Subtracts `amount` (default 1); see ``inc(by:)``.
    @inline(__always)
    public func dec(by amount: Double = 1) {
        inc(by: -amount)
    }

    /// Sets the value to the current Unix time in seconds.
    public func setToCurrentTime() {
        set(WallClock.now())
    }

    /// Adds 1 while `body` runs, then subtracts it again, also when `body` throws.
    ///
    /// - Throws: whatever `body` throws.
    public func trackInProgress<T>(_ body: () throws -> T) rethrows -> T {
        inc()
        defer { dec() }
        return try body()
    }

    /// Adds 1 while `body` runs (until it finishes, suspensions included), then subtracts it.
    ///
    /// - Throws: whatever `body` throws.
    public func trackInProgress<T>(_ body: () async throws -> T) async rethrows -> T {
        inc()
        defer { dec() }
        return try await body()
    }

    /// Sets the gauge to a duration, in seconds; used by ``DurationObserver/time(_:)-(()->T)``.
    public func observeDuration(_ seconds: Double) {
        set(seconds)
    }

    /// Makes the gauge report `callback()` at every collection instead of its stored value (for
    /// example a queue's current length).
    ///
    /// In multiprocess mode the master reads files, not callbacks: the callback is then also sampled
    /// into the process's file, by one thread per process, every ``Multiprocess/gaugeFunctionInterval``
    /// seconds (1 by default) and whenever ``Multiprocess/sampleGaugeFunctions()`` is called, so the
    /// master shows a value at most that old. The callback runs on that thread and must not block.
    /// A process forked from this one samples its copy once it writes its first value.
    public func setFunction(_ callback: @escaping @Sendable () -> Double) {
        let cell = callbackCell.storeIfNil(CallbackCell())
        cell.lock.withLock { cell.callback = callback }
        hasCallback.store(true, ordering: .releasing)
        storage.sampleFunction(of: self)
    }

    /// Stores the callback's current result (the multiprocess sampler); false when no callback is set.
    func storeCallbackValue() -> Bool {
        guard let callback = currentCallback else { return false }
        set(callback())
        return true
    }

    /// The current value (the callback's result when one is set).
    public var value: Double {
        if let callback = currentCallback { return callback() }
        return storage.value(at: 0)
    }

    @inline(__always)
    private var currentCallback: (@Sendable () -> Double)? {
        guard hasCallback.load(ordering: .acquiring), let cell = callbackCell.load() else { return nil }
        return cell.lock.withLock { cell.callback }
    }

    /// A callback and its lock: a `pthread` mutex that the multiprocess store's fork handler holds
    /// across `fork()` (see ``SampledSeries``), so that a child is never copied with it taken by a
    /// thread the child does not have.
    private final class CallbackCell: @unchecked Sendable {
        let lock = ProcessMutex()
        var callback: (@Sendable () -> Double)?
    }
}

extension GaugeChild: SampledSeries {
    var sampledStorage: SeriesStorage { storage }

    func lockCallbackForFork() {
        callbackCell.load()?.lock.lock()
    }

    func unlockCallbackAfterFork() {
        callbackCell.load()?.lock.unlock()
    }
}

extension GaugeChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { [storage] }
}

import PrometheusSystem

/// The gauge callbacks (``GaugeChild/setFunction(_:)``) of one multiprocess store, sampled into its
/// files by one thread per process, every `interval()` seconds (by default
/// ``Multiprocess/gaugeFunctionInterval``, read before each nap so a change takes effect at once).
///
/// Not locked itself: the store calls every method under its own lock, which `fork()` also takes,
/// so no list is copied half-changed into a child. The callbacks run outside that lock: they may
/// create or update metrics themselves.
final class GaugeCallbackSampler {
    /// The seconds between samples.
    let interval: @Sendable () -> Double

    /// A sampler whose thread waits `interval()` seconds between samples.
    init(interval: @escaping @Sendable () -> Double = { Multiprocess.gaugeFunctionInterval }) {
        self.interval = interval
    }

    private struct WeakSampled {
        weak var series: (any SampledSeries)?
    }

    private var sampled: [WeakSampled] = []
    /// The process whose sampling thread runs: none after `fork()` until the child's first slow
    /// path starts its own.
    private var threadProcessID: Int32?
    /// Whether the next thread starts in a forked child, whose copies of the callbacks have not been
    /// sampled into its own files yet: that thread samples at once. In the process that set them,
    /// each callback was sampled when set, so its thread naps first.
    private var startsInForkedChild = false
    /// The series whose callback locks the fork handler holds.
    private var lockedForFork: [any SampledSeries] = []

    /// Adds `series` once.
    func addLocked(_ series: any SampledSeries) {
        guard !sampled.contains(where: { $0.series === series }) else { return }
        sampled.removeAll { $0.series == nil }
        sampled.append(WeakSampled(series: series))
    }

    /// The series to sample now; removed ones (see ``ValueStore/remove(_:)``) are dropped for good.
    func currentLocked() -> [any SampledSeries] {
        sampled.removeAll { $0.series == nil || $0.series?.sampledStorage.isDetached == true }
        return sampled.compactMap(\.series)
    }

    /// Starts the sampling thread of process `processID` when callbacks need one and none runs in
    /// this process. `sample` samples every callback once and returns false once the store is gone,
    /// which ends the thread.
    ///
    /// - Throws: the `Errno` of creating the thread (nothing is sampled then until the next try).
    func startIfNeededLocked(processID: Int32, sample: @escaping @Sendable () -> Bool) throws(Errno) {
        guard !sampled.isEmpty, threadProcessID != processID else { return }
        threadProcessID = processID
        let interval = interval
        let samplesFirst = startsInForkedChild
        startsInForkedChild = false
        do {
            try NativeThread.startDetached(stackSize: 256 << 10) {
                // A late-scheduled first sample must not overwrite a value set since: only a child's
                // thread samples before its first nap.
                if !samplesFirst { Self.nap(since: SystemClock.monotonic(), interval: interval) }
                while sample() {
                    Self.nap(since: SystemClock.monotonic(), interval: interval)
                }
            }
        } catch {
            threadProcessID = nil
            throw error
        }
    }

    /// Sleeps until `interval()` seconds after `start`, in naps of at most 0.1 s so that a changed
    /// interval takes effect at once.
    private static func nap(since start: Double, interval: () -> Double) {
        while true {
            let remaining = start + interval() - SystemClock.monotonic()
            if remaining <= 0 { return }
            SystemClock.sleep(seconds: Swift.min(0.1, remaining))
        }
    }

    /// Before `fork()`: holds every callback's lock, so no thread is reading one while the process
    /// is copied. The store's lock, taken first, keeps the list still; the series are held strongly
    /// until the locks are released, so none goes away with its lock taken.
    func lockCallbacksForFork() {
        lockedForFork = sampled.compactMap(\.series)
        for series in lockedForFork {
            series.lockCallbackForFork()
        }
    }

    /// After `fork()`, in the parent.
    func unlockCallbacksAfterFork() {
        for series in lockedForFork {
            series.unlockCallbackAfterFork()
        }
        lockedForFork.removeAll()
    }

    /// In a forked child: the callbacks' locks are released, and the parent's thread was not copied.
    func resetInForkedChild() {
        unlockCallbacksAfterFork()
        threadProcessID = nil
        startsInForkedChild = true
    }
}

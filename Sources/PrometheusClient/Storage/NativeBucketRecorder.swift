import CPrometheusSupport
import PrometheusSystem
import Synchronization

/// The native buckets of one histogram series, updated without a lock.
///
/// The buckets live in a fixed open-addressing table of atomic keys and counts (a ``Generation``),
/// in process memory or, in multiprocess mode, in the process's native histogram file. An
/// observation loads the current generation, registers itself as in flight, finds or claims its
/// bucket's slot with a compare-and-swap, and adds with one atomic add: no lock and no allocation
/// once the bucket exists. When the series holds more buckets than
/// ``NativeHistogramOptions/maximumBucketCount`` (or the table is full), one thread, under a lock,
/// halves the resolution: it publishes a new generation at a lower schema and waits until no
/// observation is in flight on the old one. In memory the old counts are then folded into the new
/// buckets; in a file the old table stays as it is (a writer killed while folding would leave
/// counts half moved) and readers add the generations up (``NativeBucketTotal``).
final class NativeBucketRecorder: @unchecked Sendable {
    let options: NativeHistogramOptions
    /// The address of the current generation (retained in `state.all`).
    private let current = Atomic<UInt>(0)

    private struct State {
        /// Every generation made, kept until the recorder goes: an observation may still hold an
        /// old one.
        var all: [Generation] = []
        /// The generations whose counts make up the series now: the file tables since the series
        /// was bound, or the one table in memory.
        var live: [Generation] = []
        /// When the series was created or last reset (monotonic seconds).
        var lastReset = SystemClock.monotonic()
    }

    /// Guarded by `ownLock`, or by the source's lock when there is a source.
    nonisolated(unsafe) private var state = State()
    private let ownLock = Mutex<Void>(())
    /// Where file tables come from (multiprocess mode); nil keeps every table in memory.
    private let source: (any NativeTableSource)?
    /// The series the tables belong to; set once by it, before any observation.
    weak var series: SeriesStorage?

    /// Resets the rest of the series (classic buckets, sum, created time) when the recorder resets;
    /// set once by the owning child, before any observation.
    nonisolated(unsafe) var onReset: (() -> Void)?

    init(options: NativeHistogramOptions, source: (any NativeTableSource)? = nil) {
        self.options = options
        self.source = source
        let first = Generation(
            schema: options.schema, capacity: Self.capacity(for: options), zeroThreshold: options.zeroThreshold,
            table: nil)
        state.all = [first]
        state.live = [first]
        current.store(first.address, ordering: .sequentiallyConsistent)
    }

    private static func capacity(for options: NativeHistogramOptions) -> Int {
        let wanted = options.maximumBucketCount > 0 ? options.maximumBucketCount * 2 + 16 : 4096
        var capacity = 64
        while capacity < wanted { capacity <<= 1 }
        return capacity
    }

    private func withLock<T>(_ body: () -> T) -> T {
        if let source { return source.withTableLock(body) }
        return ownLock.withLock { _ in body() }
    }

    @inline(__always)
    private var currentGeneration: Generation {
        Unmanaged<Generation>.fromOpaque(UnsafeRawPointer(bitPattern: current.load(ordering: .sequentiallyConsistent))!)
            .takeUnretainedValue()
    }

    /// Records `value` (not NaN). Lock-free; the slow path runs only when the series outgrows its
    /// bucket limit.
    @inline(__always)
    func observe(_ value: Double) {
        while true {
            let generation = currentGeneration
            generation.enter()
            guard current.load(ordering: .sequentiallyConsistent) == generation.address else {
                generation.leave()
                continue
            }
            let outcome = generation.record(value)
            generation.leave()
            switch outcome {
            case .recorded: return
            case .recordedOverLimit(let buckets):
                if options.maximumBucketCount > 0 && buckets > options.maximumBucketCount {
                    reduceResolution(from: generation)
                }
                return
            case .tableFull:
                reduceResolution(from: generation)
            }
        }
    }

    /// Brings the series back within its bucket limit, as client_golang does: a reset when one is
    /// due, else a wider zero bucket while it may widen, else half the resolution, as often as
    /// needed. The new generation is published (unless another thread already replaced `old`), then
    /// `old`'s observations in flight are waited for and, in memory, its counts folded in.
    @inline(never)
    private func reduceResolution(from old: Generation) {
        let resets = withLock { () -> Bool in
            guard current.load(ordering: .sequentiallyConsistent) == old.address else { return false }
            let now = SystemClock.monotonic()
            if options.minimumResetDuration > 0 && now - state.lastReset >= options.minimumResetDuration {
                // Only in process memory (refused in multiprocess mode: the merged totals would drop).
                let fresh = Generation(
                    schema: options.schema, capacity: old.capacity, zeroThreshold: options.zeroThreshold, table: nil)
                publishLocked(fresh, replacing: old, absorbing: false)
                state.lastReset = now
                return true
            }
            // Planned on the buckets of every live generation: they all make up the series.
            var buckets: [(key: Int64, count: Int64)] = []
            for generation in state.live {
                let steps = Int(generation.schema - old.schema)
                buckets += generation.buckets().map {
                    (Int64(NativeBucketMath.reduce(index: Int($0.key >> 1), by: steps)) * 2 + ($0.key & 1), $0.count)
                }
            }
            var schema = old.schema
            var threshold = old.zeroThreshold
            repeat {
                if threshold < options.maximumZeroThreshold,
                    let widened = Generation.widenedThreshold(
                        buckets, schema: old.schema, from: threshold, limit: options.maximumZeroThreshold)
                {
                    threshold = widened
                } else {
                    // Halving the resolution at least halves the number of buckets.
                    schema = Swift.max(NativeBucketMath.schemaRange.lowerBound, schema - 1)
                }
                let fits = Generation.canHold(
                    buckets, from: old.schema, at: schema, zeroThreshold: threshold, capacity: old.capacity,
                    limit: options.maximumBucketCount)
                if fits || schema == NativeBucketMath.schemaRange.lowerBound { break }
            } while true
            publishLocked(
                makeGenerationLocked(schema: schema, zeroThreshold: threshold, capacity: old.capacity),
                replacing: old, absorbing: true)
            return false
        }
        if resets { onReset?() }
    }

    /// A generation in the source's file when the series has one, else in memory.
    private func makeGenerationLocked(schema: Int32, zeroThreshold: Double, capacity: Int) -> Generation {
        let table = series.flatMap { series in
            source?.makeTableLocked(for: series, schema: schema, zeroThreshold: zeroThreshold, capacity: capacity)
        }
        return Generation(schema: schema, capacity: capacity, zeroThreshold: zeroThreshold, table: table)
    }

    /// Makes `next` current in place of `old` and waits for `old`'s observations in flight. A file
    /// table joins the live ones; a table in memory replaces them, with their counts folded in
    /// when `absorbing`.
    private func publishLocked(_ next: Generation, replacing old: Generation, absorbing: Bool) {
        state.all.append(next)
        current.store(next.address, ordering: .sequentiallyConsistent)
        old.waitUntilIdle()
        if next.isInFile {
            // The older tables' buckets are claimed (empty) in the new one, so that its bucket
            // count, which triggers the next reduction, is the whole series'.
            for generation in state.live { next.absorb(generation, counting: false) }
            state.live.append(next)
        } else {
            if absorbing {
                for generation in state.live { next.absorb(generation) }
            }
            state.live = [next]
        }
    }

    /// Moves the series into its source's file: called by the store, under its lock, when it binds
    /// the series (at creation, and at a forked child's first write). Counts recorded in memory so
    /// far are carried into the file table.
    func attachLocked() {
        let old = currentGeneration
        guard !old.isInFile else { return }
        let next = makeGenerationLocked(schema: old.schema, zeroThreshold: old.zeroThreshold, capacity: old.capacity)
        guard next.isInFile else { return }
        state.all.append(next)
        current.store(next.address, ordering: .sequentiallyConsistent)
        old.waitUntilIdle()
        next.absorb(old)
        state.live = [next]
    }

    /// Moves the series' counts into a new table of its source's file, the file of its tables having
    /// lost its name (its directory was deleted): the new generation is published, the old ones'
    /// observations in flight are waited for, and every live generation's counts are added to it.
    /// Where no file table can be made the counts move into memory, to be attached later. Called by
    /// the store, under its lock.
    func relocateLocked() {
        let old = currentGeneration
        guard old.isInFile else { return }
        let next = makeGenerationLocked(schema: old.schema, zeroThreshold: old.zeroThreshold, capacity: old.capacity)
        state.all.append(next)
        current.store(next.address, ordering: .sequentiallyConsistent)
        old.waitUntilIdle()
        for generation in state.live { next.absorb(generation) }
        state.live = [next]
    }

    /// Takes the series out of its file (it was removed): its file tables are marked removed and
    /// it counts afresh in memory. Called by the store, under its lock.
    func detachLocked() {
        let old = currentGeneration
        for generation in state.live where generation.isInFile {
            source?.markTableRemovedLocked(generation.table)
        }
        let fresh = Generation(
            schema: options.schema, capacity: old.capacity, zeroThreshold: options.zeroThreshold, table: nil)
        state.all.append(fresh)
        current.store(fresh.address, ordering: .sequentiallyConsistent)
        old.waitUntilIdle()
        state.live = [fresh]
    }

    /// In a forked child, single-threaded, with the store's lock held: the parent's file is no
    /// longer mapped, so the series starts from zero in memory until its first write binds it to
    /// the child's own file (as its classic part does).
    func resetInForkedChild() {
        let fresh = Generation(
            schema: options.schema, capacity: Self.capacity(for: options), zeroThreshold: options.zeroThreshold,
            table: nil)
        current.store(fresh.address, ordering: .sequentiallyConsistent)
        state = State(all: [fresh], live: [fresh])
    }

    /// The current buckets as a ``NativeHistogram`` (count = zero bucket + every bucket): the live
    /// generations added up.
    func snapshot(sum: Double) -> NativeHistogram {
        withLock {
            var total = NativeBucketTotal()
            for generation in state.live { generation.addTo(&total) }
            return total.histogram(sum: sum, fallbackSchema: options.schema)
        }
    }

    /// The schema observations are recorded at now.
    var schema: Int32 { currentGeneration.schema }

    /// Whether observations go into a file table now.
    var isInFile: Bool { currentGeneration.isInFile }
}

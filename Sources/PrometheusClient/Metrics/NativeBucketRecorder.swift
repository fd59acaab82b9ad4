import CPrometheusSupport
import PrometheusSystem
import Synchronization

/// Where a recorder's tables live when other processes must see them (multiprocess mode): the
/// `MmapValueStore`, which appends them to the process's `histogram_<id>.native` file
/// (``NativeBucketFileLayout``).
protocol NativeTableSource: AnyObject, Sendable {
    /// Runs `body` under the lock that guards the recorders of this source: the store's lock, which
    /// `fork()` also takes, so no thread is ever inside a recorder's slow path while the process is
    /// copied.
    func withTableLock<T>(_ body: () -> T) -> T

    /// Under that lock: a new empty table for `series` (its header written, its buckets zero), or
    /// nil when the series' buckets stay in process memory (removed, or the file cannot grow).
    func makeTableLocked(
        for series: SeriesStorage, schema: Int32, zeroThreshold: Double, capacity: Int
    ) -> UnsafeMutableRawPointer?

    /// Under that lock: marks a table removed, so that no reader counts it.
    func markTableRemovedLocked(_ table: UnsafeMutableRawPointer)
}

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

    /// One table of buckets at one schema, in process memory or in a file (the table layout of
    /// ``NativeBucketFileLayout``: header, stored keys, counts).
    final class Generation: @unchecked Sendable {
        enum Outcome {
            case recorded
            case recordedOverLimit(buckets: Int)
            case tableFull
        }

        let schema: Int32
        let capacity: Int
        let zeroThreshold: Double
        /// The table header; keys and counts follow it.
        let table: UnsafeMutableRawPointer
        /// Whether the table lives in a file (else this generation allocated it).
        let isInFile: Bool
        private let keys: UnsafeMutablePointer<Int64>
        private let counts: UnsafeMutablePointer<Int64>
        private let zero: UnsafeMutablePointer<Int64>
        /// In process memory, whatever the table: [0] buckets claimed, [1] observations in flight
        /// (a killed process's observations in flight must not stall its successor).
        private let scalars: UnsafeMutablePointer<Int64>

        /// A generation over `table` (zeroed, header written) or, when nil, over a table of its own.
        init(schema: Int32, capacity: Int, zeroThreshold: Double, table: UnsafeMutableRawPointer?) {
            self.schema = schema
            self.capacity = capacity
            self.zeroThreshold = zeroThreshold
            if let table {
                self.table = table
                isInFile = true
            } else {
                let size = NativeBucketFileLayout.tableHeaderSize + 16 * capacity
                let owned = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
                owned.initializeMemory(as: UInt8.self, repeating: 0, count: size)
                self.table = owned
                isInFile = false
            }
            zero = (self.table + 24).assumingMemoryBound(to: Int64.self)
            keys = (self.table + NativeBucketFileLayout.tableHeaderSize).assumingMemoryBound(to: Int64.self)
            counts = keys + capacity
            scalars = .allocate(capacity: 2)
            scalars.initialize(repeating: 0, count: 2)
        }

        deinit {
            if !isInFile { table.deallocate() }
            scalars.deallocate()
        }

        var address: UInt { UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }

        @inline(__always) func enter() { prometheus_atomic_add_int64_seq_cst(scalars + 1, 1) }
        @inline(__always) func leave() { prometheus_atomic_add_int64_seq_cst(scalars + 1, -1) }

        func waitUntilIdle() {
            var spins = 0
            while prometheus_atomic_load_int64_seq_cst(scalars + 1) != 0 {
                spins += 1
                if spins > 1000 { NativeThread.yield() }
            }
        }

        var zeroCount: Int64 { prometheus_atomic_load_int64(zero) }

        @inline(__always)
        func record(_ value: Double, count: Int64 = 1) -> Outcome {
            let magnitude = Swift.abs(value)
            if magnitude <= zeroThreshold {
                prometheus_atomic_add_int64(zero, count)
                return .recorded
            }
            let index = magnitude.isInfinite ? Int(Int32.max) : NativeBucketMath.index(of: magnitude, schema: schema)
            return add(key: Int64(index) * 2 + (value < 0 ? 1 : 0), count: count)
        }

        @inline(__always)
        private func add(key: Int64, count: Int64) -> Outcome {
            let stored = key ^ NativeBucketFileLayout.keyMask
            let mask = capacity - 1
            var slot = Int(truncatingIfNeeded: UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15 >> 40) & mask
            for _ in 0..<capacity {
                let existing = prometheus_atomic_load_int64(keys + slot)
                if existing == stored {
                    prometheus_atomic_add_int64(counts + slot, count)
                    return .recorded
                }
                if existing == 0 {
                    if prometheus_atomic_compare_exchange_int64(keys + slot, 0, stored) {
                        prometheus_atomic_add_int64(counts + slot, count)
                        prometheus_atomic_add_int64_seq_cst(scalars, 1)
                        return .recordedOverLimit(buckets: Int(prometheus_atomic_load_int64(scalars)))
                    }
                    if prometheus_atomic_load_int64(keys + slot) == stored {
                        prometheus_atomic_add_int64(counts + slot, count)
                        return .recorded
                    }
                }
                slot = (slot + 1) & mask
            }
            return .tableFull
        }

        /// Every claimed bucket as (key, count).
        func buckets() -> [(key: Int64, count: Int64)] {
            var result: [(key: Int64, count: Int64)] = []
            for slot in 0..<capacity {
                let stored = prometheus_atomic_load_int64(keys + slot)
                if stored != 0 {
                    result.append(
                        (stored ^ NativeBucketFileLayout.keyMask, prometheus_atomic_load_int64(counts + slot)))
                }
            }
            return result
        }

        /// Adds this generation's counts to `total`.
        func addTo(_ total: inout NativeBucketTotal) {
            total.add(schema: schema, zeroThreshold: zeroThreshold, zeroCount: zeroCount, buckets: buckets())
        }

        /// Whether `buckets` (keys at `oldSchema`) fit a table of `capacity` at `schema` with
        /// `zeroThreshold`, within `limit`.
        static func canHold(
            _ buckets: [(key: Int64, count: Int64)], from oldSchema: Int32, at schema: Int32, zeroThreshold: Double,
            capacity: Int, limit: Int
        ) -> Bool {
            let steps = Int(oldSchema - schema)
            let reduced = Set(
                buckets.filter {
                    NativeBucketMath.upperBound(index: Int($0.key >> 1), schema: oldSchema) > zeroThreshold
                }.map { reducedKey($0.key, by: steps) })
            return reduced.count < capacity / 2 && (limit <= 0 || reduced.count <= limit)
        }

        /// Whether this generation's zero bucket holds the whole bucket `key` of `schema`.
        private func swallows(_ key: Int64, at schema: Int32) -> Bool {
            NativeBucketMath.upperBound(index: Int(key >> 1), schema: schema) <= zeroThreshold
        }

        /// The zero threshold that swallows the lowest of `buckets` (by magnitude, either side): the
        /// upper bound of that bucket, if it does not exceed `limit`; nil when none can be swallowed.
        static func widenedThreshold(
            _ buckets: [(key: Int64, count: Int64)], schema: Int32, from threshold: Double, limit: Double
        ) -> Double? {
            let bounds = buckets.map { NativeBucketMath.upperBound(index: Int($0.key >> 1), schema: schema) }
            guard let lowest = bounds.filter({ $0 > threshold }).min(), lowest <= limit else { return nil }
            return lowest
        }

        private static func reducedKey(_ key: Int64, by steps: Int) -> Int64 {
            Int64(NativeBucketMath.reduce(index: Int(key >> 1), by: steps)) * 2 + (key & 1)
        }

        /// Adds every count of `old` (at this schema or a higher one) into this generation; without
        /// `counting`, only claims the buckets they fall into, with count 0.
        func absorb(_ old: Generation, counting: Bool = true) {
            if counting { prometheus_atomic_add_int64(zero, old.zeroCount) }
            let steps = Int(old.schema - schema)
            for (key, count) in old.buckets() where count != 0 {
                if swallows(key, at: old.schema) {
                    if counting { prometheus_atomic_add_int64(zero, count) }
                } else {
                    _ = add(key: Self.reducedKey(key, by: steps), count: counting ? count : 0)
                }
            }
        }
    }
}

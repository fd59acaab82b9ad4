import CPrometheusSupport
import PrometheusSystem

/// The series a multiprocess writer had to keep in process memory because a file could not be
/// created or grown (a full disk, a file-size limit), or whose file lost its name (its directory was
/// deleted or replaced), and their way back into the files once it can.
///
/// Moving a series back: its file slots are made, its in-memory values added to them (counters,
/// histograms and summaries, whose file entries may already hold counts) or stored in them (gauges,
/// info, state sets), and then the file binding is published in place of the memory binding, which
/// stays allocated (see ``SeriesStorage/replaceBinding(with:)``). A series whose file lost its name
/// moves the same way from the old mapping, which the store keeps mapped, its values and timestamps
/// stored over the copy its file's entries got (a counter keeps its creation time). A thread that loaded the memory
/// binding an instant before the switch may still write to it; so each moved slot is watched for a
/// while (``drainPeriod``), and whatever changed in it since it was moved is added to the file slot:
/// the difference between what was moved and what is there now, so nothing is lost and nothing is
/// counted twice. A timestamp that moved forward (a `mostrecent` gauge's) moves with its value.
///
/// Not locked itself: the store calls it under its own lock.
final class StrandedSeries {
    /// How long a moved slot is watched for late writes through the memory binding.
    static let drainPeriod = 2.0

    /// A series waiting to move, and the binding it waits in: a series bound anew since (removed,
    /// or forked) is no longer this list's to move. Held strongly: a metric dropped by its owner
    /// (a gauge set once at start-up and forgotten) still has its values moved into the files.
    private struct Waiting {
        let series: SeriesStorage
        let binding: SeriesBinding
    }

    /// A moved series: its memory and file slots, what was moved, and until when to watch.
    private struct Drain {
        let memory: SeriesBinding
        let file: SeriesBinding
        let slotCount: Int
        var movedValues: [Double]
        var movedTimestamps: [Double]
        let until: Double
    }

    private var stranded: [Waiting] = []
    private var draining: [Drain] = []
    /// When the series were last tried, on the monotonic clock.
    private var lastAttempt = -Double.infinity
    /// The gauge entry that shows how many series are in memory, once a gauge file could hold it.
    private var gaugeSlot: UnsafeMutablePointer<Double>?

    /// The key of the self-metric each writer keeps in its `livesum` gauge file.
    static let gaugeKey = DBKey.encode(
        familyName: "prometheus_multiproc_series_in_memory", sampleName: "prometheus_multiproc_series_in_memory",
        labels: [],
        help: "Series this writer keeps in memory, not visible to the master, because a file could not grow.")

    /// Series kept in memory now.
    var count: Int { stranded.count }

    /// Whether there is anything to move or watch.
    var isEmpty: Bool { stranded.isEmpty && draining.isEmpty }

    /// Remembers a series just bound to memory because its file failed, or one whose file lost its
    /// name (then tried at once).
    func add(_ series: SeriesStorage) {
        guard let binding = series.currentBinding else { return }
        stranded.append(Waiting(series: series, binding: binding))
        if binding.isExternal { lastAttempt = -Double.infinity }
        updateGauge()
    }

    /// Whether moving should be tried now: something is stranded and `interval` seconds passed
    /// since the last try.
    func isDue(now: Double, interval: Double) -> Bool {
        !stranded.isEmpty && now - lastAttempt >= interval
    }

    /// Tries to move every stranded series into the files: `bind` gives a series' file binding
    /// or throws when its file still cannot take it (the rest then wait for the next try).
    func moveBack(now: Double, bind: (SeriesStorage) throws(MultiprocessError) -> SeriesBinding) {
        lastAttempt = now
        var remaining: [Waiting] = []
        var failed = false
        for entry in stranded {
            let series = entry.series
            guard !series.isDetached, let memory = series.currentBinding, memory === entry.binding else { continue }
            if failed {
                remaining.append(entry)
                continue
            }
            do {
                let file = try bind(series)
                draining.append(move(series, from: memory, to: file, now: now))
            } catch {
                failed = true
                remaining.append(entry)
            }
        }
        stranded = remaining
        updateGauge()
    }

    /// Adds to the file slots what late writers put into moved memory slots, and stops watching
    /// those whose period is over.
    func drain(now: Double) {
        for index in draining.indices {
            drainOnce(&draining[index])
        }
        draining.removeAll { $0.until <= now }
    }

    /// Shows the count in `gaugeFile`'s entry, made now if it is missing.
    func attachGauge(to gaugeFile: MmapFile) {
        guard gaugeSlot == nil else { return }
        gaugeSlot = try? gaugeFile.slots(for: [Self.gaugeKey])[0]
        updateGauge()
    }

    /// Whether the gauge still needs an entry.
    var needsGauge: Bool { gaugeSlot == nil }

    /// Forgets the gauge's entry: its file lost its name, and the next try makes one in the new file.
    func detachGauge() {
        gaugeSlot = nil
    }

    /// In a forked child: the parent's series rebind to the child's own files at their next write.
    func resetInForkedChild() {
        stranded.removeAll()
        draining.removeAll()
        gaugeSlot = nil
        lastAttempt = -Double.infinity
    }

    private func move(_ series: SeriesStorage, from memory: SeriesBinding, to file: SeriesBinding, now: Double) -> Drain
    {
        // From a file that lost its name, the new file's entry holds a copy of the same count.
        let adds = Self.addsOnMove(series.descriptor.kind) && !memory.isExternal
        let count = series.slotCount
        var values: [Double] = []
        var timestamps: [Double] = []
        for slot in 0..<count {
            let value = prometheus_atomic_load_double(memory.table[slot])
            let timestamp = prometheus_atomic_load_double(memory.table[slot] + 1)
            if adds {
                prometheus_atomic_add_double(file.table[slot], value)
            } else {
                prometheus_atomic_store_double(file.table[slot], value)
            }
            if memory.isExternal || timestamp > prometheus_atomic_load_double(file.table[slot] + 1) {
                prometheus_atomic_store_double(file.table[slot] + 1, timestamp)
            }
            values.append(value)
            timestamps.append(timestamp)
        }
        series.replaceBinding(with: file)
        return Drain(
            memory: memory, file: file, slotCount: count, movedValues: values, movedTimestamps: timestamps,
            until: now + Self.drainPeriod)
    }

    /// Whether a kind's moved values are added to what its file entry holds (counts), or replace it.
    private static func addsOnMove(_ kind: StorageKind) -> Bool {
        switch kind {
        case .counter, .histogram, .summary: return true
        case .gauge, .info, .stateSet: return false
        }
    }

    private func drainOnce(_ drain: inout Drain) {
        for slot in 0..<drain.slotCount {
            let value = prometheus_atomic_load_double(drain.memory.table[slot])
            if value != drain.movedValues[slot] {
                prometheus_atomic_add_double(drain.file.table[slot], value - drain.movedValues[slot])
                drain.movedValues[slot] = value
            }
            let timestamp = prometheus_atomic_load_double(drain.memory.table[slot] + 1)
            if timestamp > drain.movedTimestamps[slot] {
                drain.movedTimestamps[slot] = timestamp
                if timestamp > prometheus_atomic_load_double(drain.file.table[slot] + 1) {
                    prometheus_atomic_store_double(drain.file.table[slot] + 1, timestamp)
                }
            }
        }
    }

    private func updateGauge() {
        guard let gaugeSlot else { return }
        prometheus_atomic_store_double(gaugeSlot, Double(count))
    }
}

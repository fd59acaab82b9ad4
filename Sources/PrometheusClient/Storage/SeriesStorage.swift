import CPrometheusSupport
import Synchronization

/// The values of one series (one child of a metric), reached through lock-free atomic operations.
///
/// Hot path: one acquiring load of the binding pointer (a plain load on x86), one load from the
/// pointer table, and one atomic operation on the slot. No lock, no allocation, no system call. The
/// binding is only ever empty in a freshly forked child process; the first write there asks the store
/// to bind the series to the child's own files.
final class SeriesStorage: @unchecked Sendable {
    let descriptor: SeriesDescriptor
    private let store: any ValueStore
    /// Address of the current ``SeriesBinding``'s table, or 0 when unbound (after `fork()`).
    private let tableAddress = Atomic<UInt>(0)
    /// Address of slot 0 of the current binding (the only slot of counters and gauges): one load
    /// less on their hot path.
    private let firstSlotAddress = Atomic<UInt>(0)
    /// Whether whole increments may go to the integer beside slot 0 (``addWhole(_:)``): in process
    /// memory only, since a multiprocess file keeps a timestamp there that Python reads.
    let countsWholeIncrements: Bool
    /// Keeps the current binding alive; only replaced under the store's own lock.
    private var binding: SeriesBinding?
    /// Bindings replaced while other threads may still write through them (after a removal): kept
    /// until the series goes, since a writer may have loaded their table an instant before.
    private var retiredBindings: [SeriesBinding] = []
    /// Where the store keeps this series' exemplars, by slot (multiprocess mode): the slot in the
    /// exemplar file and its capacity. Guarded by the store's lock.
    var exemplarSlots: [Int: (slot: UnsafeMutableRawPointer, capacity: Int)] = [:]
    /// Whether the series was taken out of the store (its child was removed): it writes to process
    /// memory for good, also after `fork()`. Guarded by the store's lock.
    var isDetached = false
    /// The native buckets of a histogram series that records them: in the store's native file in
    /// multiprocess mode, else in process memory.
    let nativeRecorder: NativeBucketRecorder?

    init(descriptor: SeriesDescriptor, store: any ValueStore) {
        self.descriptor = descriptor
        self.store = store
        countsWholeIncrements = !store.isMultiprocess
        nativeRecorder = descriptor.layout.native.map {
            NativeBucketRecorder(options: $0, source: store.nativeTableSource)
        }
        nativeRecorder?.series = self
    }

    /// The binding currently installed (read under the store's lock).
    var currentBinding: SeriesBinding? { binding }

    /// Number of slots.
    var slotCount: Int { descriptor.slotCount }

    /// Publishes a binding. Called by stores, under their lock.
    func install(_ newBinding: SeriesBinding) {
        binding = newBinding
        firstSlotAddress.store(slotCount > 0 ? UInt(bitPattern: newBinding.table[0]) : 0, ordering: .releasing)
        tableAddress.store(UInt(bitPattern: newBinding.table), ordering: .releasing)
    }

    /// Publishes `newBinding` in place of the current one, which stays allocated for writers that
    /// may still be using it. Called by stores, under their lock.
    func replaceBinding(with newBinding: SeriesBinding) {
        if let binding { retiredBindings.append(binding) }
        install(newBinding)
    }

    /// Drops the binding so that the next write rebinds. Called in a forked child, single-threaded.
    func unbindAfterFork() {
        tableAddress.store(0, ordering: .releasing)
        firstSlotAddress.store(0, ordering: .releasing)
    }

    /// Records `exemplar` for slot `index` where other processes see it (multiprocess mode only).
    func recordExemplar(_ exemplar: Exemplar, at index: Int) {
        store.recordExemplar(exemplar, of: self, at: index)
    }

    /// Has the store sample `child`'s callback; see ``ValueStore/sampleFunction(of:)``.
    func sampleFunction(of child: any SampledSeries) {
        store.sampleFunction(of: child)
    }

    /// Takes the series out of what its store shares; see ``ValueStore/remove(_:)``.
    func detachFromStore() {
        store.remove(self)
    }

    /// Whether the series currently has memory to write to.
    var isBound: Bool {
        tableAddress.load(ordering: .acquiring) != 0
    }

    @inline(__always)
    private func slot(_ index: Int) -> UnsafeMutablePointer<Double> {
        if index == 0, let first = UnsafeMutablePointer<Double>(bitPattern: firstSlotAddress.load(ordering: .acquiring))
        {
            return first
        }
        let address = tableAddress.load(ordering: .acquiring)
        if let table = UnsafePointer<UnsafeMutablePointer<Double>>(bitPattern: address) {
            return table[index]
        }
        return rebindSlowPath()[index]
    }

    @inline(never)
    private func rebindSlowPath() -> UnsafePointer<UnsafeMutablePointer<Double>> {
        let newBinding = store.bind(self)
        return UnsafePointer(newBinding.table)
    }

    /// Slot 0, reached with one load (counters and gauges have only it).
    @inline(__always)
    private var firstSlot: UnsafeMutablePointer<Double> {
        if let first = UnsafeMutablePointer<Double>(bitPattern: firstSlotAddress.load(ordering: .acquiring)) {
            return first
        }
        return rebindSlowPath()[0]
    }

    /// Adds `delta` to the value of slot 0.
    @inline(__always)
    func addToFirst(_ delta: Double) {
        prometheus_atomic_add_double(firstSlot, delta)
    }

    /// Sets the value of slot 0.
    @inline(__always)
    func setFirst(_ value: Double) {
        prometheus_atomic_store_double(firstSlot, value)
    }

    /// Adds `delta` to the value of slot `index`.
    @inline(__always)
    func add(_ delta: Double, at index: Int) {
        prometheus_atomic_add_double(slot(index), delta)
    }

    /// Adds a whole increment to the integer beside slot 0; only for series that
    /// ``countsWholeIncrements``. One locked add, where a double needs a compare-and-swap loop.
    @inline(__always)
    func addWhole(_ delta: Int64) {
        prometheus_atomic_add_int64(UnsafeMutableRawPointer(firstSlot + 1).assumingMemoryBound(to: Int64.self), delta)
    }

    /// The whole increments kept beside slot 0 (0 for series that do not count them).
    func wholeIncrements() -> Int64 {
        guard countsWholeIncrements,
            let first = UnsafeMutablePointer<Double>(bitPattern: firstSlotAddress.load(ordering: .acquiring))
        else {
            return 0
        }
        return prometheus_atomic_load_int64(UnsafeMutableRawPointer(first + 1).assumingMemoryBound(to: Int64.self))
    }

    /// Sets the whole increments beside slot 0 back to zero.
    func resetWholeIncrements() {
        guard countsWholeIncrements else { return }
        prometheus_atomic_store_int64(UnsafeMutableRawPointer(slot(0) + 1).assumingMemoryBound(to: Int64.self), 0)
    }

    /// Sets the value of slot `index`.
    @inline(__always)
    func set(_ value: Double, at index: Int) {
        prometheus_atomic_store_double(slot(index), value)
    }

    /// Sets the value of slot `index` and records `timestamp` (Unix seconds) beside it, for the
    /// mostrecent gauge modes.
    @inline(__always)
    func set(_ value: Double, timestamp: Double, at index: Int) {
        let pointer = slot(index)
        prometheus_atomic_store_double(pointer, value)
        // Released after the value: a reader that sees this timestamp also sees this value or a newer one.
        prometheus_atomic_store_double_release(pointer + 1, timestamp)
    }

    /// Adds `delta` to the value of slot `index` and records `timestamp` beside it (mostrecent gauges
    /// changed with inc or dec).
    @inline(__always)
    func add(_ delta: Double, timestamp: Double, at index: Int) {
        let pointer = slot(index)
        prometheus_atomic_add_double(pointer, delta)
        prometheus_atomic_store_double_release(pointer + 1, timestamp)
    }

    /// Raises the value of slot `index` to `value` if it is larger.
    @inline(__always)
    func max(_ value: Double, at index: Int) {
        prometheus_atomic_max_double(slot(index), value)
    }

    /// Reads the value of slot `index`; an unbound series (a forked child that has not written yet)
    /// reads 0 without creating any entry.
    func value(at index: Int) -> Double {
        let address = tableAddress.load(ordering: .acquiring)
        guard let table = UnsafePointer<UnsafeMutablePointer<Double>>(bitPattern: address) else { return 0 }
        return prometheus_atomic_load_double(table[index])
    }

    /// Reads the timestamp stored beside slot `index` (0 when never set).
    func timestamp(at index: Int) -> Double {
        let address = tableAddress.load(ordering: .acquiring)
        guard let table = UnsafePointer<UnsafeMutablePointer<Double>>(bitPattern: address) else { return 0 }
        return prometheus_atomic_load_double(table[index] + 1)
    }
}

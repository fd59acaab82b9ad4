/// The memory one series currently writes to: a table of pointers to its 16-byte slots, and any
/// memory the binding owns (in-memory slots, or the fallback when a file could not grow).
///
/// A binding is immutable once published; a series only gets a new one after `fork()`.
final class SeriesBinding: @unchecked Sendable {
    /// `slotCount` pointers, each to a value double followed by a timestamp double.
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    private let ownedSlots: UnsafeMutableRawPointer?

    /// Whether the slots are somewhere else (a memory-mapped file) rather than owned by the binding.
    var isExternal: Bool { ownedSlots == nil }

    /// Binds to slots somewhere else (a memory-mapped file), owned by the store.
    init(pointers: [UnsafeMutablePointer<Double>]) {
        table = .allocate(capacity: max(pointers.count, 1))
        table.initialize(from: pointers, count: pointers.count)
        ownedSlots = nil
    }

    /// Allocates zeroed, 16-byte aligned slots in process memory, with the pointer table after them
    /// in the same block (one allocation per series: a metric may have many thousand children).
    init(inMemorySlotCount count: Int) {
        let slotBytes = max(count, 1) * 16
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: slotBytes + max(count, 1) * MemoryLayout<UnsafeMutablePointer<Double>>.stride, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: slotBytes)
        table = (raw + slotBytes).bindMemory(to: UnsafeMutablePointer<Double>.self, capacity: max(count, 1))
        for index in 0..<count {
            (table + index).initialize(to: (raw + index * 16).assumingMemoryBound(to: Double.self))
        }
        ownedSlots = raw
    }

    deinit {
        if let ownedSlots {
            ownedSlots.deallocate()  // the table lives in the same block
        } else {
            table.deallocate()
        }
    }
}

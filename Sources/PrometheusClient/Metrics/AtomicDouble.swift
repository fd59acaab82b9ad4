import Synchronization

/// A `Double` that can be read and replaced from any thread: used for `_created` times, which change
/// on `reset()` while a scrape may be reading them.
final class AtomicDouble: Sendable {
    private let bits: Atomic<UInt64>

    init(_ value: Double) {
        bits = Atomic(value.bitPattern)
    }

    /// The current value.
    var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }

    /// Replaces the value.
    func store(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }
}

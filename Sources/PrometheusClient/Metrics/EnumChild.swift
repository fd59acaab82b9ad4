import Synchronization

/// The state of one series of an ``Enum`` (one set of label values).
public final class EnumChild: Sendable {
    let storage: SeriesStorage
    private let states: [String]
    private let metricName: String
    private let current = Mutex(0)

    init(storage: SeriesStorage, states: [String], metricName: String) {
        self.storage = storage
        self.states = states
        self.metricName = metricName
        storage.set(1, at: 0)
    }

    /// Switches to `state`.
    ///
    /// - Throws: `MetricError.invalidState` when `state` is not one of the declared states.
    public func state(_ state: String) throws(MetricError) {
        guard let index = states.firstIndex(where: { ByteIdentity.equal($0, state) }) else {
            throw .invalidState(
                metric: metricName,
                reason: "unknown state \"\(state)\"; declared states are \(states.joined(separator: ", "))")
        }
        current.withLock { current in
            guard current != index else { return }
            storage.set(1, at: index)
            storage.set(0, at: current)
            current = index
        }
    }

    /// The current state.
    public var currentState: String {
        states[currentIndex]
    }

    /// The position of the current state among the declared ones.
    var currentIndex: Int {
        current.withLock { $0 }
    }
}

extension EnumChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { [storage] }
}

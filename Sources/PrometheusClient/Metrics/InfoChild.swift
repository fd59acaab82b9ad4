import Synchronization

/// The information of one series of an ``Info`` (one set of label values).
public final class InfoChild: Sendable {
    private struct State {
        var values: [String: String]
        var series: [[Label]: SeriesStorage]
        var current: SeriesStorage
    }

    private let childLabels: [Label]
    private let definition: MetricDefinition
    private let store: any ValueStore
    private let state: Mutex<State>

    init(labels: [Label], definition: MetricDefinition, store: any ValueStore) {
        childLabels = labels
        self.definition = definition
        self.store = store
        let initial = Self.makeSeries(labels: labels, definition: definition, store: store)
        initial.set(1, at: 0)
        state = Mutex(State(values: [:], series: [labels: initial], current: initial))
    }

    /// Replaces the information.
    ///
    /// - Throws: `MetricError.invalidInfo` when a key is not a valid label name or is one of the
    ///   metric's label names; nothing changes then.
    public func info(_ values: [String: String]) throws(MetricError) {
        for key in values.keys {
            do {
                try MetricNaming.validateLabelName(key)
            } catch {
                throw .invalidInfo(metric: definition.name, reason: "key \"\(key)\": \(error)")
            }
            if definition.index(ofLabel: key) != nil {
                throw .invalidInfo(
                    metric: definition.name,
                    reason: "key \"\(key)\" is also a label name of the metric; use another key")
            }
        }
        let labels = (childLabels + [Label](values)).sorted { ByteIdentity.precedes($0.name, $1.name) }
        state.withLock { state in
            let next =
                state.series[labels]
                ?? Self.makeSeries(labels: labels, definition: definition, store: store)
            state.series[labels] = next
            next.set(1, at: 0)
            if next !== state.current {
                state.current.set(0, at: 0)
            }
            state.current = next
            state.values = values
        }
    }

    /// The current information.
    public var values: [String: String] {
        state.withLock { $0.values }
    }

    private static func makeSeries(labels: [Label], definition: MetricDefinition, store: any ValueStore)
        -> SeriesStorage
    {
        store.makeSeries(
            // The key's metric name is the sample name, so that a Python master, which shows the key's
            // metric name as a gauge family, shows a family whose samples carry its name.
            SeriesDescriptor(
                kind: .info, familyName: definition.name + "_info", help: definition.help, labels: labels,
                slotTemplates: [.init(sampleName: definition.name + "_info")]))
    }
}

extension InfoChild: SeriesOwner {
    var storedSeries: [SeriesStorage] { state.withLock { Array($0.series.values) } }
}

import Synchronization

/// Which one of a fixed set of states something is in (a state set): `starting`, `running`,
/// `stopped`. Exposed as one series per state, labelled `<name>="<state>"`, 1 for the current state
/// and 0 for the others; the first state is the initial one.
///
/// Unlike the Python client, Enum works in multiprocess mode, through `gauge_livestateset_<pid>.db`
/// files that the master merges.
public final class Enum: Metric<Enum.Child>, @unchecked Sendable {
    /// The state of one set of label values.
    public final class Child: Sendable {
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
            guard let index = states.firstIndex(of: state) else {
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
            states[current.withLock { $0 }]
        }
    }

    /// The declared states, in order.
    public let states: [String]

    /// Creates an enum metric and registers it.
    ///
    /// - Parameters:
    ///   - states: the possible states, at least one, no duplicates; the first is the initial state.
    /// - Throws: `MetricError.invalidState` for missing or duplicate states, `MetricError` for invalid
    ///   names (a unit is not allowed; the metric's own name cannot be a label name), `RegistryError`
    ///   for clashes, `MultiprocessError` when the multiprocess directory is unusable.
    public init(
        name: String,
        help: String,
        labelNames: [String] = [],
        namespace: String = "",
        subsystem: String = "",
        states: [String],
        registry: CollectorRegistry? = .default
    ) throws {
        let fullName = try MetricNaming.fullName(
            name: name, namespace: namespace, subsystem: subsystem, type: .stateSet)
        let definition = try MetricDefinition(
            name: name, help: help, type: .stateSet, namespace: namespace, subsystem: subsystem, unit: "",
            labelNames: labelNames, reservedLabelNames: [name, fullName])
        guard !states.isEmpty else {
            throw MetricError.invalidState(metric: definition.name, reason: "at least one state is required")
        }
        guard Set(states).count == states.count else {
            throw MetricError.invalidState(metric: definition.name, reason: "states must not repeat: \(states)")
        }
        let store = try ActiveValueStore.current()
        self.states = states
        let slots = states.map { state in
            SeriesDescriptor.SlotTemplate(sampleName: definition.name, extraLabel: Label(definition.name, state))
        }
        super.init(definition: definition, store: store) { labels in
            let descriptor = SeriesDescriptor(
                kind: .stateSet, familyName: definition.name, help: definition.help, labels: labels,
                slotTemplates: slots)
            return Child(storage: store.makeSeries(descriptor), states: states, metricName: definition.name)
        }
        try register(in: registry)
    }

    /// Switches an enum without labels to `state`.
    ///
    /// - Throws: `MetricError.missingLabelValues`, or `MetricError.invalidState` for an unknown state.
    public func state(_ state: String) throws(MetricError) {
        try observableChild().state(state)
    }

    override func appendSamples(of child: Child, labels: [Label], includeCreated: Bool, to samples: inout [Sample]) {
        let current = child.currentState
        for state in states {
            samples.append(
                Sample(name: name, labels: labels + [Label(name, state)], value: state == current ? 1 : 0))
        }
    }
}

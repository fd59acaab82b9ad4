/// Which one of a fixed set of states something is in (a state set): `starting`, `running`,
/// `stopped`. Exposed as one series per state, labelled `<name>="<state>"`, 1 for the current state
/// and 0 for the others; the first state is the initial one.
///
/// Unlike the Python client, Enum works in multiprocess mode, through `gauge_livestateset_<pid>.db`
/// files that the master merges.
public final class Enum<Labels: LabelShape>: Metric<EnumChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = EnumChild

    /// The declared states, in order.
    public let states: [String]

    private init(
        declaring name: String, help: String, labelNames: [String], namespace: String, subsystem: String,
        states: [String],
        registry: CollectorRegistry?
    ) throws {
        let fullName = try MetricNaming.fullName(
            name: name, namespace: namespace, subsystem: subsystem, type: .stateSet)
        let definition = try MetricDefinition(
            name: name, help: help, type: .stateSet, namespace: namespace, subsystem: subsystem, unit: "",
            labelNames: labelNames, reservedLabelNames: [name, fullName])
        guard !states.isEmpty else {
            throw MetricError.invalidState(metric: definition.name, reason: "at least one state is required")
        }
        guard Set(states.map(ByteString.init)).count == states.count else {
            throw MetricError.invalidState(metric: definition.name, reason: "states must not repeat: \(states)")
        }
        let store = try ActiveValueStore.current()
        self.states = states
        let slots = states.map { state in
            SeriesDescriptor.SlotTemplate(sampleName: definition.name, extraLabel: Label(definition.name, state))
        }
        let layout = SeriesLayout(kind: .stateSet, definition: definition, slotTemplates: slots)
        super.init(definition: definition, store: store) { values in
            let descriptor = SeriesDescriptor(layout: layout, labelValues: values)
            return EnumChild(storage: store.makeSeries(descriptor), states: states, metricName: definition.name)
        }
        try register(in: registry)
    }

    override func appendSamples(of child: EnumChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample])
    {
        let current = child.currentIndex
        for (index, state) in states.enumerated() {
            samples.append(Sample(name: name, labels: labels + [Label(name, state)], value: index == current ? 1 : 0))
        }
    }
}

extension Enum where Labels == Unlabelled {
    /// Creates an enum metric without labels and registers it.
    ///
    /// - Parameters:
    ///   - states: the possible states, at least one, no duplicates; the first is the initial state.
    /// - Throws: `MetricError.invalidState` for missing or duplicate states, `MetricError` for invalid
    ///   names (a unit is not allowed), `RegistryError` for clashes, `MultiprocessError` when the
    ///   multiprocess directory is unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "", states: [String],
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            declaring: name, help: help, labelNames: [], namespace: namespace, subsystem: subsystem, states: states,
            registry: registry)
    }

    /// Switches to `state`.
    ///
    /// - Throws: `MetricError.invalidState` when `state` is not one of the declared states.
    public func state(_ state: String) throws(MetricError) {
        try single.state(state)
    }

    /// The current state.
    public var currentState: String {
        single.currentState
    }
}

extension Enum where Labels == Labelled {
    /// Creates an enum metric with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Throws: as ``init(name:help:namespace:subsystem:states:registry:)``, and `MetricError` for
    ///   invalid, reserved (the metric's own name) or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        states: [String], registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            declaring: name, help: help, labelNames: labelNames, namespace: namespace, subsystem: subsystem,
            states: states, registry: registry)
    }
}

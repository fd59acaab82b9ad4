/// Constant information about the target as labels on a series with the value 1, exposed as
/// `<name>_info`: a version, a commit, a build date.
///
/// Unlike the Python client, Info works in multiprocess mode: each process writes its current label
/// set (value 1, replaced sets 0) into a `gauge_liveinfo_<pid>.db` file that the master merges.
public final class Info<Labels: LabelShape>: Metric<InfoChild>, @unchecked Sendable {
    /// The type of one series.
    public typealias Child = InfoChild

    private init(
        declaring name: String, help: String, labelNames: [String], namespace: String, subsystem: String,
        registry: CollectorRegistry?
    ) throws {
        let definition = try MetricDefinition(
            name: name, help: help, type: .info, namespace: namespace, subsystem: subsystem, unit: "",
            labelNames: labelNames)
        let store = try ActiveValueStore.current()
        super.init(definition: definition, store: store) { values in
            InfoChild(labels: definition.labels(for: values), definition: definition, store: store)
        }
        try register(in: registry)
    }

    override func appendSamples(of child: InfoChild, labels: [Label], includeCreated: Bool, to samples: inout [Sample])
    {
        samples.append(Sample(name: name + "_info", labels: labels + [Label](child.values), value: 1))
    }
}

extension Info where Labels == Unlabelled {
    /// Creates an info metric without labels and registers it.
    ///
    /// - Throws: `MetricError` for invalid names (a unit is not allowed), `RegistryError` for clashes,
    ///   `MultiprocessError` when the multiprocess directory is unusable.
    public convenience init(
        name: String, help: String, namespace: String = "", subsystem: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            declaring: name, help: help, labelNames: [], namespace: namespace, subsystem: subsystem, registry: registry)
    }

    /// Replaces the information.
    ///
    /// - Throws: `MetricError.invalidInfo` (see ``InfoChild/info(_:)``); nothing changes then.
    public func info(_ values: [String: String]) throws(MetricError) {
        try single.info(values)
    }

    /// The current information.
    public var values: [String: String] {
        single.values
    }
}

extension Info where Labels == Labelled {
    /// Creates an info metric with labels and registers it; pick a series with `labels(...)`.
    ///
    /// - Throws: as ``init(name:help:namespace:subsystem:registry:)``, and `MetricError` for invalid
    ///   or duplicate label names.
    public convenience init(
        name: String, help: String, labelNames: [String], namespace: String = "", subsystem: String = "",
        registry: CollectorRegistry? = .default
    ) throws {
        try self.init(
            declaring: name, help: help, labelNames: labelNames, namespace: namespace, subsystem: subsystem,
            registry: registry)
    }
}

// Declaring initialisers: names and label names known at compile time (`StaticString`), no `try`,
// so that a metric can be a `static let` or a global, where Swift allows no throwing initialiser.
// A name that fails validation there is a programmer error, found at the first run, as a
// `precondition` would find it: the process stops with a message naming the metric and the rule.
// Names computed at run time keep the throwing `init(name:...)`.

/// Stops the process for a metric that cannot be declared: an invalid or reserved name, a clash
/// with a registered metric, or an unusable multiprocess directory (the error says which).
func declarationFailed(_ type: MetricType, _ name: StaticString, _ error: any Error) -> Never {
    fatalError(
        "PrometheusClient: cannot declare the \(type.rawValue) \"\(name)\": \(error). A declaration "
            + "with a literal name must be valid; use the throwing init(name:...) for names made at run time")
}

extension Counter where Labels == Unlabelled {
    /// Declares a counter without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:unit:registry:)``. For a name known at compile time:
    /// `static let jobs = Counter("jobs", help: "Jobs run.")`.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        unit: StaticString = "", registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)", unit: "\(unit)",
                registry: registry)
        } catch { declarationFailed(.counter, name, error) }
    }
}

extension Counter where Labels == Labelled {
    /// Declares a counter with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:unit:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", unit: StaticString = "", registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", unit: "\(unit)", registry: registry)
        } catch { declarationFailed(.counter, name, error) }
    }
}

extension Gauge where Labels == Unlabelled {
    /// Declares a gauge without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:unit:multiprocessMode:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        unit: StaticString = "", multiprocessMode: MultiprocessMode = .all, registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)", unit: "\(unit)",
                multiprocessMode: multiprocessMode, registry: registry)
        } catch { declarationFailed(.gauge, name, error) }
    }
}

extension Gauge where Labels == Labelled {
    /// Declares a gauge with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:unit:multiprocessMode:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", unit: StaticString = "", multiprocessMode: MultiprocessMode = .all,
        registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", unit: "\(unit)", multiprocessMode: multiprocessMode, registry: registry)
        } catch { declarationFailed(.gauge, name, error) }
    }
}

extension Histogram where Labels == Unlabelled {
    /// Declares a histogram without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:unit:buckets:native:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw (invalid buckets too).
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        unit: StaticString = "", buckets: [Double] = Histogram.defaultBuckets, native: NativeHistogramOptions? = nil,
        registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)", unit: "\(unit)",
                buckets: buckets, native: native, registry: registry)
        } catch { declarationFailed(.histogram, name, error) }
    }
}

extension Histogram where Labels == Labelled {
    /// Declares a histogram with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:unit:buckets:native:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw (invalid buckets too).
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", unit: StaticString = "", buckets: [Double] = Histogram.defaultBuckets,
        native: NativeHistogramOptions? = nil, registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", unit: "\(unit)", buckets: buckets, native: native, registry: registry)
        } catch { declarationFailed(.histogram, name, error) }
    }
}

extension Summary where Labels == Unlabelled {
    /// Declares a summary without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:unit:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        unit: StaticString = "", registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)", unit: "\(unit)",
                registry: registry)
        } catch { declarationFailed(.summary, name, error) }
    }
}

extension Summary where Labels == Labelled {
    /// Declares a summary with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:unit:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", unit: StaticString = "", registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", unit: "\(unit)", registry: registry)
        } catch { declarationFailed(.summary, name, error) }
    }
}

extension Info where Labels == Unlabelled {
    /// Declares an info metric without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)", registry: registry)
        } catch { declarationFailed(.info, name, error) }
    }
}

extension Enum where Labels == Unlabelled {
    /// Declares a state set without labels and registers it; see
    /// ``init(name:help:namespace:subsystem:states:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, namespace: StaticString = "", subsystem: StaticString = "",
        states: [StaticString], registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, namespace: "\(namespace)", subsystem: "\(subsystem)",
                states: states.map { "\($0)" }, registry: registry)
        } catch { declarationFailed(.stateSet, name, error) }
    }
}

extension Info where Labels == Labelled {
    /// Declares an info metric with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", registry: registry)
        } catch { declarationFailed(.info, name, error) }
    }
}

extension Enum where Labels == Labelled {
    /// Declares a state set with labels and registers it; see
    /// ``init(name:help:labelNames:namespace:subsystem:states:registry:)``.
    ///
    /// Traps, naming the metric, where the throwing initialiser would throw.
    public convenience init(
        _ name: StaticString, help: String, labelNames: [StaticString], namespace: StaticString = "",
        subsystem: StaticString = "", states: [StaticString], registry: CollectorRegistry? = .default
    ) {
        do {
            try self.init(
                name: "\(name)", help: help, labelNames: labelNames.map { "\($0)" }, namespace: "\(namespace)",
                subsystem: "\(subsystem)", states: states.map { "\($0)" }, registry: registry)
        } catch { declarationFailed(.stateSet, name, error) }
    }
}

// A labelled metric has one series per set of label values, so it records nothing itself: its
// children do. These unavailable members turn the compiler's "requires the types 'Labelled' and
// 'Unlabelled' be equivalent" into a message that says what to write instead.

extension Counter where Labels == Labelled {
    /// Unavailable: a labelled counter counts through its children.
    @available(
        *, unavailable,
        message:
            "a labelled counter counts per label values: call labels(...) first, e.g. try requests.labels(\"GET\").inc()"
    )
    public func inc() { fatalError() }

    /// Unavailable: a labelled counter counts through its children.
    @available(
        *, unavailable,
        message:
            "a labelled counter counts per label values: call labels(...) first, e.g. try requests.labels(\"GET\").inc(by: 2)"
    )
    public func inc(by amount: Double) { fatalError() }

    /// Unavailable: a labelled counter resets through its children, or `clear()` drops them all.
    @available(
        *, unavailable, message: "reset() is per label values: call labels(...) first, or clear() to drop every child"
    )
    public func reset() { fatalError() }

    /// Unavailable: each child of a labelled counter has its own value.
    @available(*, unavailable, message: "a labelled counter has a value per label values: read labels(...).value")
    public var value: Double { fatalError() }
}

extension Gauge where Labels == Labelled {
    /// Unavailable: a labelled gauge is set through its children.
    @available(
        *, unavailable,
        message:
            "a labelled gauge has a value per label values: call labels(...) first, e.g. try temperature.labels(\"kitchen\").set(21)"
    )
    public func set(_ value: Double) { fatalError() }

    /// Unavailable: a labelled gauge changes through its children.
    @available(*, unavailable, message: "a labelled gauge has a value per label values: call labels(...) first")
    public func inc(by amount: Double = 1) { fatalError() }

    /// Unavailable: a labelled gauge changes through its children.
    @available(*, unavailable, message: "a labelled gauge has a value per label values: call labels(...) first")
    public func dec(by amount: Double = 1) { fatalError() }

    /// Unavailable: each child of a labelled gauge has its own value.
    @available(*, unavailable, message: "a labelled gauge has a value per label values: read labels(...).value")
    public var value: Double { fatalError() }
}

extension Histogram where Labels == Labelled {
    /// Unavailable: a labelled histogram observes through its children.
    @available(
        *, unavailable,
        message:
            "a labelled histogram observes per label values: call labels(...) first, e.g. try latency.labels(\"/\").observe(0.2)"
    )
    public func observe(_ value: Double) { fatalError() }

    /// Unavailable: a labelled histogram times work through its children.
    @available(
        *, unavailable,
        message:
            "a labelled histogram times per label values: call labels(...) first, e.g. try latency.labels(\"/\").time { ... }"
    )
    public func time<T>(_ body: () throws -> T) rethrows -> T { fatalError() }
}

extension Summary where Labels == Labelled {
    /// Unavailable: a labelled summary observes through its children.
    @available(
        *, unavailable,
        message:
            "a labelled summary observes per label values: call labels(...) first, e.g. try sizes.labels(\"/\").observe(512)"
    )
    public func observe(_ value: Double) { fatalError() }

    /// Unavailable: a labelled summary times work through its children.
    @available(*, unavailable, message: "a labelled summary times per label values: call labels(...) first")
    public func time<T>(_ body: () throws -> T) rethrows -> T { fatalError() }
}

extension Info where Labels == Labelled {
    /// Unavailable: a labelled info metric is set through its children.
    @available(*, unavailable, message: "a labelled info metric is set per label values: call labels(...) first")
    public func info(_ values: [String: String]) { fatalError() }
}

extension Enum where Labels == Labelled {
    /// Unavailable: a labelled state set is set through its children.
    @available(*, unavailable, message: "a labelled state set is set per label values: call labels(...) first")
    public func state(_ state: String) { fatalError() }
}

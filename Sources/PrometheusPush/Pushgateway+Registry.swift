import PrometheusClient

extension Pushgateway {
    /// Replaces the whole group with the registry's metrics (`PUT`, Python's `push_to_gateway`).
    ///
    /// - Throws: ``PushError/collectionFailed(_:)`` when a collector fails (nothing is sent), and
    ///   everything ``push(job:groupingKey:families:)`` throws.
    public func push(job: String, groupingKey: [String: String] = [:], registry: CollectorRegistry) throws(PushError) {
        try send(.put, job: job, groupingKey: groupingKey, exposition: try Self.render(registry))
    }

    /// Replaces the metrics of the same names in the group (`POST`, Python's `pushadd_to_gateway`).
    ///
    /// - Throws: as ``push(job:groupingKey:registry:)``.
    public func pushAdd(job: String, groupingKey: [String: String] = [:], registry: CollectorRegistry) throws(PushError)
    {
        try send(.post, job: job, groupingKey: groupingKey, exposition: try Self.render(registry))
    }

    /// Replaces the whole group with the registry's metrics (`PUT`), suspending instead of blocking.
    ///
    /// - Throws: as ``push(job:groupingKey:registry:)``.
    public func push(job: String, groupingKey: [String: String] = [:], registry: CollectorRegistry)
        async throws(PushError)
    {
        try await send(.put, job: job, groupingKey: groupingKey, exposition: try Self.render(registry))
    }

    /// Replaces the metrics of the same names in the group (`POST`), suspending instead of blocking.
    ///
    /// - Throws: as ``push(job:groupingKey:registry:)``.
    public func pushAdd(job: String, groupingKey: [String: String] = [:], registry: CollectorRegistry)
        async throws(PushError)
    {
        try await send(.post, job: job, groupingKey: groupingKey, exposition: try Self.render(registry))
    }

    /// Replaces the whole group with `families` (`PUT`).
    ///
    /// - Throws: ``PushError`` for an invalid job or grouping key, a transport failure, or an answer
    ///   of 400 or more.
    public func push(job: String, groupingKey: [String: String] = [:], families: [MetricFamily]) throws(PushError) {
        try send(.put, job: job, groupingKey: groupingKey, exposition: Self.render(families))
    }

    /// Replaces the metrics of the same names in the group with `families` (`POST`).
    ///
    /// - Throws: as ``push(job:groupingKey:families:)``.
    public func pushAdd(job: String, groupingKey: [String: String] = [:], families: [MetricFamily]) throws(PushError) {
        try send(.post, job: job, groupingKey: groupingKey, exposition: Self.render(families))
    }

    /// Replaces the whole group with `families` (`PUT`), suspending instead of blocking.
    ///
    /// - Throws: as ``push(job:groupingKey:families:)``.
    public func push(job: String, groupingKey: [String: String] = [:], families: [MetricFamily]) async throws(PushError)
    {
        try await send(.put, job: job, groupingKey: groupingKey, exposition: Self.render(families))
    }

    /// Replaces the metrics of the same names in the group with `families` (`POST`), suspending
    /// instead of blocking.
    ///
    /// - Throws: as ``push(job:groupingKey:families:)``.
    public func pushAdd(job: String, groupingKey: [String: String] = [:], families: [MetricFamily])
        async throws(PushError)
    {
        try await send(.post, job: job, groupingKey: groupingKey, exposition: Self.render(families))
    }

    static func render(_ registry: CollectorRegistry) throws(PushError) -> [UInt8] {
        let result = registry.collect()
        guard result.failures.isEmpty else {
            throw .collectionFailed(result.failures.map { String(describing: $0) }.joined(separator: "; "))
        }
        return render(result.families)
    }

    static func render(_ families: [MetricFamily]) -> [UInt8] {
        Exposition.render(families, as: .prometheusText004)
    }
}

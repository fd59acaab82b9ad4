import PrometheusClient

extension [MetricFamily] {
    /// The families in name order, each sample's labels sorted by name: the order the writers give
    /// both, so that a family collected and a family parsed back from its exposition compare equal.
    package var inWritersOrder: [MetricFamily] {
        map { family in
            var family = family
            family.samples = family.samples.map { sample in
                var sample = sample
                sample.labels.sort { ByteIdentity.precedes($0.name, $1.name) }
                return sample
            }
            return family
        }.sorted { ByteIdentity.precedes($0.name, $1.name) }
    }
}

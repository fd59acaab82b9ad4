extension CollectorRegistry {
    /// Renders the registry in `format` into `bytes`, replacing its contents and keeping its
    /// capacity: pass the same array at every scrape and, once it has grown to the exposition's size,
    /// rendering allocates nothing per series. The bytes equal ``Exposition/render(_:as:escaping:)``
    /// of ``collect()``: families sorted by name, `_created` and exemplars as collected.
    ///
    /// The metric types write their lines straight from their children (no ``Sample`` values are
    /// built); other collectors are collected and written from their families.
    ///
    /// - Returns: the failures of collectors that threw; their families are left out, the others served.
    @discardableResult
    public func render(
        as format: ExpositionFormat, escaping: NameEscapingScheme = .underscores, into bytes: inout [UInt8]
    ) -> [CollectorFailure] {
        let (entries, targetInfo) = snapshot()
        var collected: [MetricFamily] = []
        var failures: [CollectorFailure] = []
        // Each family to write, by name: a collector writing itself, or an index into `collected`.
        var items: [(name: String, direct: (any DirectlyRenderedCollector)?, family: Int)] = []
        items.reserveCapacity(entries.count + 1)
        if let targetInfo {
            collected.append(Self.targetInfoFamily(targetInfo))
            items.append((collected[0].name, nil, 0))
        }
        for entry in entries {
            if let direct = entry.direct {
                items.append((direct.familyName, direct, -1))
                continue
            }
            do {
                for family in try entry.collector.collect() {
                    items.append((family.name, nil, collected.count))
                    collected.append(family)
                }
            } catch {
                failures.append(CollectorFailure(collector: Self.describe(entry.collector), error: error))
            }
        }
        // Stable, as Exposition sorts collected families: equal names keep registration order.
        let isSorted = zip(items, items.dropFirst()).allSatisfy { !ByteIdentity.precedes($1.name, $0.name) }
        if !isSorted {
            items = items.enumerated().sorted { lhs, rhs in
                if !ByteIdentity.equal(lhs.element.name, rhs.element.name) {
                    return ByteIdentity.precedes(lhs.element.name, rhs.element.name)
                }
                return lhs.offset < rhs.offset
            }.map(\.element)
        }
        var buffer = ExpositionBuffer(taking: &bytes)
        for item in items {
            if let direct = item.direct {
                if !direct.render(as: format, escaping: escaping, to: &buffer) {
                    do {
                        for family in try direct.collect() {
                            Exposition.write(family, as: format, escaping: escaping, to: &buffer)
                        }
                    } catch {
                        failures.append(CollectorFailure(collector: Self.describe(direct), error: error))
                    }
                }
            } else {
                Exposition.write(collected[item.family], as: format, escaping: escaping, to: &buffer)
            }
        }
        if format.isOpenMetrics {
            OpenMetricsWriter.writeEnd(to: &buffer)
        }
        bytes = buffer.takeBytes()
        return failures
    }
}

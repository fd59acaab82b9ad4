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
        let (allEntries, targetInfo) = snapshot()
        let entries = MultiprocessOverlap.uncovered(allEntries)
        var collected: [MetricFamily] = []
        var collectedSources: [String] = []
        var failures: [CollectorFailure] = []
        // Each family to write, by name: a collector writing itself, or an index into `collected`.
        var items: [(name: String, direct: (any DirectlyRenderedCollector)?, family: Int)] = []
        items.reserveCapacity(entries.count + 1)
        if let targetInfo {
            collected.append(Self.targetInfoFamily(targetInfo))
            collectedSources.append("target_info")
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
                    collectedSources.append(Self.describe(entry.collector))
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
        var next = 0
        while next < items.count {
            let item = items[next]
            var end = next + 1
            while end < items.count && ByteIdentity.equal(items[end].name, item.name) { end += 1 }
            defer { next = end }
            if end - next > 1 {
                // Several collectors produce this family: one combined family (see FamilyCombiner).
                var families: [MetricFamily] = []
                var sources: [String] = []
                for sameName in items[next..<end] {
                    if let direct = sameName.direct {
                        do {
                            let collectedFamilies = try direct.collect()
                            families += collectedFamilies
                            sources += repeatElement(Self.describe(direct), count: collectedFamilies.count)
                        } catch {
                            failures.append(CollectorFailure(collector: Self.describe(direct), error: error))
                        }
                    } else {
                        families.append(collected[sameName.family])
                        sources.append(collectedSources[sameName.family])
                    }
                }
                guard !families.isEmpty else { continue }
                let (family, problems) = FamilyCombiner.combine(families)
                Exposition.write(family, as: format, escaping: escaping, to: &buffer)
                for problem in problems {
                    failures.append(
                        CollectorFailure(
                            collector: sources.dropFirst().joined(separator: ", "),
                            error: RegistryError.clashingFamilies(reason: problem)))
                }
                continue
            }
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

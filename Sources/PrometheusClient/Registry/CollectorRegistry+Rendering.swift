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
        render(as: format, escaping: escaping, createdSeries: CreatedSeries.isEnabled, into: &bytes)
    }

    /// Renders as ``render(as:escaping:into:)`` does, with the metric types' `_created` samples
    /// included or not, whatever ``CreatedSeries/isEnabled`` says (as ``collect(createdSeries:)``).
    ///
    /// - Returns: the failures of collectors that threw.
    @discardableResult
    public func render(
        as format: ExpositionFormat, escaping: NameEscapingScheme = .underscores, createdSeries: Bool,
        into bytes: inout [UInt8]
    ) -> [CollectorFailure] {
        var plan = renderPlan(includingCreated: createdSeries)
        var buffer = ExpositionBuffer(taking: &bytes)
        var next = 0
        while next < plan.items.count {
            var end = next + 1
            while end < plan.items.count && ByteIdentity.equal(plan.items[end].name, plan.items[next].name) {
                end += 1
            }
            if end - next > 1 {
                writeCombined(next..<end, of: &plan, as: format, escaping: escaping, to: &buffer)
            } else {
                writeSingle(plan.items[next], of: &plan, as: format, escaping: escaping, to: &buffer)
            }
            next = end
        }
        if format.isOpenMetrics {
            OpenMetricsWriter.writeEnd(to: &buffer)
        }
        bytes = buffer.takeBytes()
        return plan.failures
    }

    /// What a rendering writes, family by family: collectors that write themselves, and the
    /// families of the others, collected first.
    private struct RenderPlan {
        /// Where one family comes from.
        enum Source {
            /// A metric writing its one family.
            case direct(any DirectlyRenderedCollector)
            /// The family at this position of a collector's prepared families.
            case prepared(Int, at: Int)
            /// The family at this position of `collected`.
            case collected(Int)
        }

        /// Each family to write, by name.
        var items: [(name: String, source: Source)] = []
        var collected: [MetricFamily] = []
        /// The prepared families of the collectors that write several themselves, and who they are.
        var prepared: [(families: any PreparedFamilies, collector: String)] = []
        /// Which collector produced each of `collected`, for failure reports.
        var sources: [String] = []
        var failures: [CollectorFailure] = []
        /// Whether the metric types write `_created` samples.
        var includingCreated: Bool

        /// The family of `source` as a value, and who produced it.
        func family(of source: Source) -> (family: MetricFamily, collector: String)? {
            switch source {
            case .direct: return nil
            case .prepared(let writer, let index):
                return (prepared[writer].families.family(at: index), prepared[writer].collector)
            case .collected(let index): return (collected[index], sources[index])
            }
        }
    }

    /// Collects the collectors that do not write themselves and orders every family by name
    /// (stable, as Exposition sorts collected families: equal names keep registration order).
    private func renderPlan(includingCreated: Bool) -> RenderPlan {
        let (allEntries, targetInfo) = snapshot()
        let entries = MultiprocessOverlap.uncovered(allEntries)
        var plan = RenderPlan(includingCreated: includingCreated)
        plan.items.reserveCapacity(entries.count + 1)
        if let targetInfo {
            plan.collected.append(Self.targetInfoFamily(targetInfo))
            plan.sources.append("target_info")
            plan.items.append((plan.collected[0].name, .collected(0)))
        }
        for entry in entries {
            if let direct = entry.direct {
                plan.items.append((direct.familyName, .direct(direct)))
                continue
            }
            do {
                if let writer = entry.writer {
                    let prepared = try writer.prepareFamilies()
                    for (index, name) in prepared.familyNames.enumerated() {
                        plan.items.append((name, .prepared(plan.prepared.count, at: index)))
                    }
                    plan.prepared.append((prepared, Self.describe(writer)))
                    continue
                }
                for family in try entry.collector.collect() {
                    plan.items.append((family.name, .collected(plan.collected.count)))
                    plan.collected.append(family)
                    plan.sources.append(Self.describe(entry.collector))
                }
            } catch {
                plan.failures.append(CollectorFailure(collector: Self.describe(entry.collector), error: error))
            }
        }
        let isSorted = zip(plan.items, plan.items.dropFirst()).allSatisfy { !ByteIdentity.precedes($1.name, $0.name) }
        if !isSorted {
            plan.items = plan.items.enumerated().sorted { lhs, rhs in
                if !ByteIdentity.equal(lhs.element.name, rhs.element.name) {
                    return ByteIdentity.precedes(lhs.element.name, rhs.element.name)
                }
                return lhs.offset < rhs.offset
            }.map(\.element)
        }
        return plan
    }

    /// Writes the family that several collectors produce as one combined family (see
    /// ``FamilyCombiner``), reporting clashes as failures.
    private func writeCombined(
        _ range: Range<Int>, of plan: inout RenderPlan, as format: ExpositionFormat, escaping: NameEscapingScheme,
        to buffer: inout ExpositionBuffer
    ) {
        var families: [MetricFamily] = []
        var sources: [String] = []
        for sameName in plan.items[range] {
            if case .direct(let direct) = sameName.source {
                let collectedFamilies = direct.collect(includingCreated: plan.includingCreated)
                families += collectedFamilies
                sources += repeatElement(Self.describe(direct), count: collectedFamilies.count)
            } else if let (family, source) = plan.family(of: sameName.source) {
                families.append(family)
                sources.append(source)
            }
        }
        guard !families.isEmpty else { return }
        let (family, problems) = FamilyCombiner.combine(families)
        Exposition.write(family, as: format, escaping: escaping, to: &buffer)
        for problem in problems {
            plan.failures.append(
                CollectorFailure(
                    collector: sources.dropFirst().joined(separator: ", "),
                    error: RegistryError.clashingFamilies(reason: problem)))
        }
    }

    /// Writes a family only one collector produces: straight from a metric or a collector that
    /// writes its families, or from its samples.
    private func writeSingle(
        _ item: (name: String, source: RenderPlan.Source), of plan: inout RenderPlan,
        as format: ExpositionFormat, escaping: NameEscapingScheme, to buffer: inout ExpositionBuffer
    ) {
        switch item.source {
        case .collected(let index):
            Exposition.write(plan.collected[index], as: format, escaping: escaping, to: &buffer)
        case .prepared(let writer, let index):
            plan.prepared[writer].families.writeFamily(at: index, as: format, escaping: escaping, to: &buffer)
        case .direct(let direct):
            guard
                !direct.render(as: format, escaping: escaping, includingCreated: plan.includingCreated, to: &buffer)
            else { return }
            for family in direct.collect(includingCreated: plan.includingCreated) {
                Exposition.write(family, as: format, escaping: escaping, to: &buffer)
            }
        }
    }
}

import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient
@testable import PrometheusMultiprocess

/// A multiprocess master serves OpenMetrics 2.0 to scrapers that ask for it: the merge of every kind
/// of file reads back, through the strict 2.0 parser, as the families the master collected.
@Suite("OpenMetrics 2.0: merged families")
struct MergedOpenMetrics2Tests {
    @Test("the 2.0 body of a merge of every kind of file reads back as the families collected")
    func mergedBodyReadsBackAsCollected() throws {
        let directory = try MergedRenderingTests.populatedDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory, lifecycle: .manual))
        let collected = registry.collect().families.filter { $0.name != MultiProcessCollector.mergeDurationFamily }
        for escaping in [NameEscapingScheme.allowUTF8, .underscores] {
            var body: [UInt8] = []
            registry.render(as: .openMetrics200, escaping: escaping, into: &body)
            let parsed = try OpenMetrics2Parser.parse(body)
            #expect(parsed.map(\.name).contains("mp_native"))
            #expect(parsed.contains { $0.name == "latency" && $0.samples.contains { $0.name == "latency_bucket" } })
            if escaping == .allowUTF8 {
                // A histogram with a negative bucket has no sum in the model (as in Python, for
                // OpenMetrics 1.0), and 2.0 requires one: it is left out, and reported.
                let expected = collected.filter { $0.name != "offset" }.map(Self.withoutUntimedExemplars)
                    .inWritersOrder
                let actual = parsed.filter { $0.name != MultiProcessCollector.mergeDurationFamily }.inWritersOrder
                #expect(actual.map(\.name) == expected.map(\.name))
                for (ours, theirs) in zip(actual, expected) where ours != theirs {
                    Issue.record("\(ours.name) reads back as\n\(ours)\nnot\n\(theirs)")
                }
            }
        }
    }

    @Test("the 2.0 body of a merge of every kind of file parses with the specification's ABNF")
    func mergedBodyPassesTheGrammar() throws {
        _ = try OpenMetrics2Specification.path()
        let directory = try MergedRenderingTests.populatedDirectory()
        defer { MultiprocessFixtures.remove(directory) }
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory, lifecycle: .manual))
        let bodies = NameEscapingScheme.allCases.map { escaping in
            var body: [UInt8] = []
            registry.render(as: .openMetrics200, escaping: escaping, into: &body)
            return String(decoding: body, as: UTF8.self)
        }
        if let problems = try OpenMetrics2Specification.grammarProblems(bodies) {
            Issue.record("\(problems)")
        }
    }

    /// 2.0 exemplars carry a timestamp; the ones recorded without one are not written.
    private static func withoutUntimedExemplars(_ family: MetricFamily) -> MetricFamily {
        var family = family
        for index in family.samples.indices where family.samples[index].exemplar?.timestamp == nil {
            family.samples[index].exemplar = nil
        }
        return family
    }
}

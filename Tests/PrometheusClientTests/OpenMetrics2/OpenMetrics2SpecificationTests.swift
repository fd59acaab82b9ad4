import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// The specification's own material, read at run time from a copy outside this repository (see
/// ``OpenMetrics2Specification``): its examples through our parser, our bodies through its ABNF.
@Suite("OpenMetrics 2.0: against the specification's examples and grammar")
struct OpenMetrics2SpecificationTests {
    @Test("every example the specification gives as valid parses; those it calls incorrect are refused")
    func theSpecificationsExamples() throws {
        let examples = try OpenMetrics2Specification.examples()
        #expect(examples.count > 40, "the examples were not found")
        for example in examples {
            let introduction = example.introduction.lowercased()
            // The one "incorrect" example no rule of the data model refuses: its three state-set groups
            // ({controller,dev}, {replica,dev}, {controller,prod}) each come once (see docs/exposition.md).
            let isIncorrect =
                introduction.contains("incorrect") && !introduction.contains("metricgroups are interleaved")
            do {
                let families = try OpenMetrics2Parser.parse(example.text)
                #expect(!isIncorrect, "line \(example.line) is called incorrect but parsed:\n\(example.text)")
                // What we read, we write back in a form that reads the same.
                let again = Exposition.string(families, as: .openMetrics200, escaping: .allowUTF8)
                #expect(try OpenMetrics2Parser.parse(again).count == families.count)
            } catch {
                #expect(isIncorrect, "line \(example.line) should parse: \(error)\n\(example.text)")
            }
        }
    }

    @Test("the bodies this package writes parse with the specification's ABNF")
    func ourBodiesPassTheGrammar() throws {
        let fixtures = try ExpositionFixtures.families()
        var bodies = NameEscapingScheme.allCases.map {
            Exposition.string(fixtures, as: .openMetrics200, escaping: $0)
        }
        let registry = CollectorRegistry()
        let latency = try Histogram(
            name: "latency_seconds", help: "L.", native: NativeHistogramOptions(), registry: registry)
        try latency.observe(0.3, exemplar: ["trace_id": "a"])
        latency.observe(-2)
        latency.observe(0)
        let jobs = try Counter(name: "jobs", help: "J.", labelNames: ["queue.name"], registry: registry)
        try jobs.labels("a \"b\"").inc(by: 2, exemplar: ["trace_id": "b"])
        _ = try Enum(name: "phase", help: "P.", states: ["a", "b"], registry: registry)
        try Summary(name: "size_bytes", help: "S.", registry: registry).observe(3)
        bodies.append(Exposition.string(registry.collect().families, as: .openMetrics200, escaping: .allowUTF8))
        if let problems = try OpenMetrics2Specification.grammarProblems(bodies) {
            Issue.record("\(problems)")
        }
    }
}

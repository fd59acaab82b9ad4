import Foundation
import PrometheusTestSupport
import Testing

@testable import PrometheusClient

/// Metrics declared where Swift declares shared values (a `static let`, a global), without `try`;
/// the call-site conveniences (whole increments, `Duration`, timers); and misuse the compiler
/// explains.
@Suite("Metrics: declarations and call sites")
struct DeclarationTests {
    /// Declared as an app declares them: once, as static members.
    enum Declared {
        static let registry = CollectorRegistry()
        static let jobs = Counter("declared_jobs", help: "Jobs run.", registry: registry)
        static let requests = Counter("declared_requests", help: "Requests.", labelNames: ["route"], registry: registry)
        static let latency = Histogram(
            "declared_latency_seconds", help: "Latency.", buckets: [0.1, 1], registry: registry)
        static let sizes = Summary("declared_size_bytes", help: "Sizes.", registry: registry)
        static let lastRun = Gauge("declared_last_run_seconds", help: "Last run.", registry: registry)
        static let build = Info("declared_build", help: "Build.", registry: registry)
        static let phase = Enum("declared_phase", help: "Phase.", states: ["idle", "busy"], registry: registry)
    }

    @Test("metrics declared as static lets need no try and are served by their registry")
    func staticDeclarationsServe() throws {
        Declared.jobs.inc()
        try Declared.requests.labels("/").inc()
        Declared.latency.observe(0.5)
        try Declared.build.info(["version": "1"])
        try Declared.phase.state("busy")
        let text = Exposition.string(Declared.registry.collect().families, as: .prometheusText004)
        #expect(text.contains("declared_jobs_total 1.0"))
        #expect(text.contains(#"declared_requests_total{route="/"} 1.0"#))
        #expect(text.contains(#"declared_latency_seconds_bucket{le="1.0"} 1.0"#))
        #expect(text.contains(#"declared_build_info{version="1"} 1.0"#))
        #expect(text.contains(#"declared_phase{declared_phase="busy"} 1.0"#))
    }

    @Test("a declaration with an invalid literal name stops the process with a message naming the metric")
    func anInvalidDeclarationTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Counter("declared", help: "h", labelNames: ["route", "route"], registry: nil)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains(#"cannot declare the counter "declared""#), "\(message)")
        #expect(message.contains("route"), "the message does not say which label: \(message)")
    }

    @Test("whole increments need no try and count exactly")
    func wholeIncrements() throws {
        let counter = try Counter(name: "whole", help: "h", registry: nil)
        counter.inc(by: 3)
        counter.inc()
        #expect(counter.value == 4)
        let child = try Counter(name: "whole_labelled", help: "h", labelNames: ["k"], registry: nil).labels("a")
        child.inc(by: 2)
        #expect(child.value == 2)
    }

    @Test("a negative whole increment stops the process with a message naming the counter")
    func aNegativeWholeIncrementTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let counter = try? Counter(name: "falling", help: "h", registry: nil)
            counter?.inc(by: -1)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("counter falling cannot go down"), "\(message)")
    }

    @Test("Durations are recorded in seconds by histograms, summaries and gauges")
    func durationsAreSeconds() throws {
        let histogram = try Histogram(name: "d_hist", help: "h", buckets: [0.1, 1], registry: nil)
        histogram.observe(.milliseconds(150))
        histogram.observeDuration(.seconds(2))
        #expect(histogram.single.sum == 2.15)
        #expect(histogram.single.cumulativeCounts == [0, 1, 2])
        let summary = try Summary(name: "d_summary", help: "h", registry: nil)
        summary.observe(.microseconds(250))
        #expect(summary.single.sum == 0.00025)
        let gauge = try Gauge(name: "d_gauge", help: "h", registry: nil)
        gauge.set(.seconds(90))
        #expect(gauge.value == 90)
    }

    @Test("a timer records once, when told, the time since it started")
    func timersRecordWhenStopped() throws {
        let histogram = try Histogram(name: "timed", help: "h", buckets: [10], registry: nil)
        let timer = histogram.startTimer()
        #expect(histogram.single.count == 0)
        usleep(20_000)
        let elapsed = timer.observeDuration()
        #expect(elapsed >= .milliseconds(20))
        #expect(histogram.single.count == 1)
        #expect(abs(histogram.single.sum - elapsed.secondsValue) < 1e-9)
        let child = try Summary(name: "timed_child", help: "h", labelNames: ["k"], registry: nil).labels("a")
        child.startTimer().stop()
        #expect(child.count == 1)
    }

    @Test("recording on a labelled metric fails to compile with a message that says to call labels(...)")
    func misuseIsExplainedByTheCompiler() throws {
        let source = """
            import PrometheusClient
            let requests = Counter("requests", help: "h", labelNames: ["route"])
            requests.inc()
            let latency = Histogram("latency", help: "h", labelNames: ["route"])
            latency.observe(0.5)
            """
        let errors = try SnippetCompiler.typecheck(source)
        #expect(
            errors.contains(
                "'inc()' is unavailable: a labelled counter counts per label values: call labels(...) first"))
        #expect(
            errors.contains(
                "'observe' is unavailable: a labelled histogram observes per label values: call labels(...) first"))
    }
}

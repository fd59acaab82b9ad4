import PrometheusClient

// A small tour of the in-process client: creates a few metrics, changes them, and prints the default
// registry in the Prometheus text format (or OpenMetrics with --openmetrics).
let openMetrics = CommandLine.arguments.contains("--openmetrics")

do {
    let requests = try Counter(
        name: "example_requests", help: "Requests handled, by route and status.", labelNames: ["route", "code"])
    let latency = try Histogram(
        name: "example_request_duration_seconds", help: "Request latency.", buckets: [0.01, 0.05, 0.1, 0.5, 1])
    let inFlight = try Gauge(name: "example_requests_in_flight", help: "Requests being handled.")
    let build = try Info(name: "example_build", help: "Build information.")

    try build.info(["version": "1.0.0", "language": "swift"])
    let home = try requests.labels("/", "200")
    for index in 0..<10 {
        inFlight.trackInProgress {
            home.inc()
            latency.observe(Double(index) * 0.03)
        }
    }
    try requests.labels("/missing", "404").inc(by: 2, exemplar: ["trace_id": "4bf92f3577b34da6"])

    let families = CollectorRegistry.default.collect().families
    print(Exposition.string(families, as: openMetrics ? .openMetrics100 : .prometheusText004), terminator: "")
} catch {
    print("example failed: \(error)")
}

import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

/// The worker's metrics (multiprocess mode: PROMETHEUS_MULTIPROC_DIR is set by the master) and the
/// master's side (merge, serve, mark dead).
struct DemoMetrics: Sendable {
    let requests: Counter<Labelled>
    let duration: Histogram<Labelled>
    let inProgress: GaugeChild
    let lastRequest: GaugeChild

    init(slot: Int) throws {
        // Worker metrics live in no registry: in multiprocess mode the master reads the files.
        requests = try Counter(
            name: "demo_http_requests", help: "Application requests served, by route and status.",
            labelNames: ["route", "status"], registry: nil)
        duration = try Histogram(
            name: "demo_http_request_duration_seconds", help: "Application request latency.", labelNames: ["route"],
            buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5],
            // Native buckets too (8 per power of two, at most 160), merged by the master and served
            // to Prometheus over protobuf; Python masters and text scrapes see the classic buckets.
            native: NativeHistogramOptions(bucketFactor: 1.1, maximumBucketCount: 160), registry: nil)
        inProgress = try Gauge(
            name: "demo_http_requests_in_progress", help: "Requests being served, summed over live workers.",
            multiprocessMode: .livesum, registry: nil
        ).labels()
        lastRequest = try Gauge(
            name: "demo_last_request_timestamp_seconds", help: "Unix time of the latest request in any worker.",
            multiprocessMode: .max, registry: nil
        ).labels()
        let processes = try Gauge(
            name: "demo_worker_processes", help: "Live worker processes (each live worker contributes 1).",
            multiprocessMode: .livesum, registry: nil)
        processes.set(1)
        let info = try Info(name: "demo_worker", help: "The worker's identity.", labelNames: ["slot"], registry: nil)
        try info.labels(String(slot)).info(["version": "1"])
    }

    func requestStarted() {
        inProgress.inc()
    }

    func requestFinished(route: String, status: Int, seconds: Double, traceID: String) {
        inProgress.dec()
        // The route is one of a fixed set and the label count is right, and the exemplar's label is
        // valid and short, so these cannot fail.
        try? requests.labels(route, String(status)).inc()
        // The exemplar reaches the master's OpenMetrics output: the latest per bucket of all workers.
        try? duration.labels(route).observe(seconds, exemplar: ["trace_id": traceID])
        lastRequest.setToCurrentTime()
    }

    /// A registry with the merged view of every worker's files (and, for the master, every worker's
    /// CPU, memory and descriptors, read from /proc with a pid label).
    static func mergedRegistry(directory: String, withWorkerProcesses: Bool) throws -> CollectorRegistry {
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory))
        if withWorkerProcesses {
            try registry.register(WorkerProcessCollector(path: directory))
        }
        return registry
    }

    /// Serves the merged metrics on the master's own port.
    static func startMasterServer(
        listener: MetricsListener, directory: String, tls: MetricsServerTLS?
    ) throws -> MetricsServer {
        var options = MetricsServerOptions()
        options.tls = tls
        return try MetricsServer.start(
            listener: listener, registry: mergedRegistry(directory: directory, withWorkerProcesses: true),
            options: options)
    }

    static func markDead(pid: Int32, directory: String) {
        do {
            try markProcessDead(pid: pid, path: directory)
        } catch .fileFailure(let path, let operation, let code) {
            // Its live gauges are gone; the fold is retried by the next markProcessDead and scrapes.
            DemoLog.info("worker \(pid) marked dead; folding its files waits (\(operation) \(path): \(code))")
        } catch {
            DemoLog.error("could not mark worker \(pid) dead: \(error)")
        }
    }
}

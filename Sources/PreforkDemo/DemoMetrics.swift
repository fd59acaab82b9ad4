import PrometheusClient

/// The worker's metrics (multiprocess mode: PROMETHEUS_MULTIPROC_DIR is set by the master) and the
/// master's side (merge, serve, mark dead).
struct DemoMetrics: Sendable {
    let requests: Counter
    let duration: Histogram
    let inProgress: Gauge
    let lastRequest: Gauge

    init(slot: Int) throws {
        // Worker metrics live in no registry: in multiprocess mode the master reads the files.
        requests = try Counter(
            "demo_http_requests", help: "Application requests served, by route and status.",
            labelNames: ["route", "status"], registry: nil)
        duration = try Histogram(
            "demo_http_request_duration_seconds", help: "Application request latency.", labelNames: ["route"],
            buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5], registry: nil)
        inProgress = try Gauge(
            "demo_http_requests_in_progress", help: "Requests being served, summed over live workers.",
            multiprocessMode: .livesum, registry: nil)
        lastRequest = try Gauge(
            "demo_last_request_timestamp_seconds", help: "Unix time of the latest request in any worker.",
            multiprocessMode: .max, registry: nil)
        let processes = try Gauge(
            "demo_worker_processes", help: "Live worker processes (each live worker contributes 1).",
            multiprocessMode: .livesum, registry: nil)
        processes.set(1)
        let info = try Info("demo_worker", help: "The worker's identity.", registry: nil)
        try info.info(["slot": String(slot), "version": "1"])
    }

    func requestStarted() {
        inProgress.inc()
    }

    func requestFinished(route: String, status: Int, seconds: Double) {
        inProgress.dec()
        try? requests.labels(route, String(status)).inc()
        try? duration.labels(route).observe(seconds)
        lastRequest.setToCurrentTime()
    }

    /// Serves the merged view of every worker's files from a fresh registry.
    static func startMasterServer(socket: ListeningSocket, directory: String) throws -> MetricsServer {
        let registry = CollectorRegistry()
        try registry.register(MultiProcessCollector(path: directory))
        return try MetricsServer.start(socket: socket, registry: registry)
    }

    static func markDead(pid: Int32, directory: String) {
        try? markProcessDead(pid: pid, path: directory)
    }
}

import Glibc
import PrometheusClient
import PrometheusServing

/// The application the workers serve: a few paths that produce varied statuses and latencies, each
/// request recorded in the worker's metrics.
struct DemoApplication: Sendable {
    let metrics: DemoMetrics
    let pid = getpid()

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let route = Self.route(of: request.path)
        let started = DemoApplication.monotonicSeconds()
        metrics.requestStarted()
        var response = respond(to: request, route: route)
        response.headers.append(HTTPHeader("X-Worker-Pid", String(pid)))
        metrics.requestFinished(
            route: route, status: response.status, seconds: DemoApplication.monotonicSeconds() - started,
            traceID: Self.traceID(of: request))
        return response
    }

    /// The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), or a fresh random
    /// one: what links a latency bucket to a trace, as an exemplar.
    static func traceID(of request: HTTPRequest) -> String {
        if let header = request.headers.first(where: { $0.name.lowercased() == "traceparent" }) {
            let parts = header.value.split(separator: "-")
            if parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) { return String(parts[1]) }
        }
        return (0..<2).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    private func respond(to request: HTTPRequest, route: String) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(status: 405, "use GET", headers: [HTTPHeader("Allow", "GET, HEAD")])
        }
        switch route {
        case "/":
            return .text(status: 200, "hello from worker \(pid)")
        case "/pid":
            return .text(status: 200, String(pid))
        case "/work":
            let requested = request.queryValues(named: "ms").first.flatMap { Int($0) } ?? 10
            let milliseconds = min(max(requested, 0), 1000)
            usleep(useconds_t(milliseconds * 1000))
            return .text(status: 200, "worked \(milliseconds) ms in worker \(pid)")
        case "/status":
            let code = Int(request.path.split(separator: "/").last ?? "") ?? 200
            guard (200...599).contains(code) else { return .text(status: 400, "status must be 200...599") }
            return .text(status: code, "status \(code) from worker \(pid)")
        default:
            return .text(status: 404, "not found; try /, /work?ms=50, /status/503, /pid")
        }
    }

    /// The route label: a fixed set, so that arbitrary paths cannot create unbounded series.
    static func route(of path: String) -> String {
        if path == "/" || path == "/pid" || path == "/work" { return path }
        if path.hasPrefix("/status/") { return "/status" }
        return "other"
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

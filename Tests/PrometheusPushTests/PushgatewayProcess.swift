import Foundation
import Glibc
import PrometheusTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real Pushgateway (`prometheus-pushgateway`) on 127.0.0.1 with a free port and no persistence
/// file, started for one test and killed by `stop()`.
final class PushgatewayProcess {
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    let address: String
    private let process: Process
    private let logURL: URL
    private let configURL: URL?
    private let authorization: String?
    /// For a gateway serving HTTPS: the curl options (CA, client certificate) of this helper's reads.
    private let httpsCurlOptions: [String]?

    /// Starts a gateway; `webConfig` is the YAML of `--web.config.file` (for basic authentication or
    /// TLS), and `authorization` the header value this helper then uses for its own reads. With
    /// `httpsCurlOptions` the gateway serves HTTPS and the helper reads it with curl and those options.
    init(webConfig: String? = nil, authorization: String? = nil, httpsCurlOptions: [String]? = nil) throws {
        self.httpsCurlOptions = httpsCurlOptions
        let executable = try ExternalTool.require("prometheus-pushgateway")
        var configURL: URL?
        if let webConfig {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("pushgateway-web-\(UUID()).yml")
            try Data(webConfig.utf8).write(to: url)
            configURL = url
        }
        self.configURL = configURL
        self.authorization = authorization
        var lastProblem = "not started"
        // A port found free can be taken before the gateway binds it; try a few.
        for _ in 0..<3 {
            let port = try Self.freePort()
            let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("pushgateway-\(UUID()).log")
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let log = try FileHandle(forWritingTo: logURL)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments =
                ["--web.listen-address=127.0.0.1:\(port)", "--persistence.file=", "--log.level=warn"]
                + (configURL.map { ["--web.config.file=\($0.path)"] } ?? [])
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let address = "127.0.0.1:\(port)"
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline {
                if (try? Self.read(address: address, "/-/ready", authorization, httpsCurlOptions).status) == 200 {
                    self.address = address
                    self.process = process
                    self.logURL = logURL
                    return
                }
                usleep(20_000)
            }
            if process.isRunning {
                process.terminate()
            }
            process.waitUntilExit()
            lastProblem = (try? String(contentsOf: logURL, encoding: .utf8)) ?? "no log"
            try? FileManager.default.removeItem(at: logURL)
        }
        if let configURL {
            try? FileManager.default.removeItem(at: configURL)
        }
        throw StartError(description: "the Pushgateway did not become ready: \(lastProblem)")
    }

    /// Kills the gateway (by its pid) and waits for it to exit.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logURL)
        if let configURL {
            try? FileManager.default.removeItem(at: configURL)
        }
    }

    deinit {
        stop()
    }

    /// The groups the gateway holds (`/api/v1/metrics`): each group's labels and its metrics by name,
    /// each metric as (labels, value) pairs.
    func groups() throws -> [(labels: [String: String], metrics: [String: [(labels: [String: String], value: String)]])]
    {
        let answer = try Self.read(address: address, "/api/v1/metrics", authorization, httpsCurlOptions)
        guard answer.status == 200,
            let root = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
            let data = root["data"] as? [[String: Any]]
        else {
            throw StartError(description: "unexpected /api/v1/metrics answer \(answer.status): \(answer.body)")
        }
        return data.map { group in
            var metrics: [String: [(labels: [String: String], value: String)]] = [:]
            for (name, entry) in group where name != "labels" {
                guard let entry = entry as? [String: Any], let list = entry["metrics"] as? [[String: Any]] else {
                    continue
                }
                metrics[name] = list.map { metric in
                    let labels = metric["labels"] as? [String: String] ?? [:]
                    if let value = metric["value"] as? String {
                        return (labels, value)
                    }
                    // Histograms and summaries carry count and sum instead of a value.
                    return (labels, "count=\(metric["count"] ?? "") sum=\(metric["sum"] ?? "")")
                }
            }
            return (group["labels"] as? [String: String] ?? [:], metrics)
        }
    }

    /// The gateway's own exposition (`/metrics`), which includes every pushed metric.
    func exposition() throws -> String {
        try Self.read(address: address, "/metrics", authorization, httpsCurlOptions).body
    }

    /// A bounded synchronous GET.
    /// The scheme of the gateway's URLs.
    var scheme: String { httpsCurlOptions == nil ? "http" : "https" }

    private static func read(address: String, _ path: String, _ authorization: String?, _ httpsCurlOptions: [String]?)
        throws -> (status: Int, body: String)
    {
        guard let httpsCurlOptions else { return try get("http://\(address)\(path)", authorization: authorization) }
        let curl = try ExternalTool.require("curl")
        let output = try ExternalTool.run(
            curl, ["-s", "--max-time", "5", "-w", "\n%{http_code}"] + httpsCurlOptions + ["https://\(address)\(path)"],
            timeout: 10)
        guard let newline = output.standardOutput.lastIndex(of: "\n"),
            let status = Int(output.standardOutput[output.standardOutput.index(after: newline)...])
        else { throw StartError(description: "curl gave no status: \(output.standardError)") }
        return (status, String(output.standardOutput[..<newline]))
    }

    static func get(_ url: String, authorization: String? = nil) throws -> (status: Int, body: String) {
        let request = BoundedGET(url: URL(string: url)!, authorization: authorization)
        return try request.run()
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            throw StartError(description: "cannot bind a probe socket: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A GET with URLSession, bounded to 5 seconds.
private struct BoundedGET {
    let url: URL
    let authorization: String?

    func run() throws -> (status: Int, body: String) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForResource = 5
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        final class Box: @unchecked Sendable {
            var result: (Int, String)?
            var error: (any Error)?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        if let authorization {
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        session.dataTask(with: request) { data, response, error in
            box.error = error
            if let http = response as? HTTPURLResponse {
                box.result = (http.statusCode, String(decoding: data ?? Data(), as: UTF8.self))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 6) == .success else {
            throw PushgatewayProcess.StartError(description: "GET \(url) timed out")
        }
        if let error = box.error {
            throw error
        }
        guard let result = box.result else {
            throw PushgatewayProcess.StartError(description: "GET \(url) gave no HTTP answer")
        }
        return result
    }
}

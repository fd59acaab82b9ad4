import Foundation
import Glibc

/// A real Prometheus server for a test: its own config and storage in a temporary directory, bound
/// to a free loopback port, scraping one target every second.
package final class PrometheusServer {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package let process = Process()
    package let port: Int
    package let directory: URL
    private let logFile: URL

    /// `scrapeSettings` are extra YAML lines of the scrape job (e.g. `scheme` and `tls_config`);
    /// `flags` extra command-line flags (e.g. `--enable-feature=native-histograms`).
    package init(
        binary: String, target: String, job: String = "prefork-demo", scrapeSettings: String = "",
        flags: [String] = []
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: \(job)
            \(scrapeSettings.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                static_configs:
                  - targets: ['\(target)']
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        port = try Self.freePort()
        logFile = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ] + flags
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let ready = try? RawHTTPClient.get(port: port, path: "/-/ready"), ready.status == 200 { return }
            if !process.isRunning { break }
            usleep(100_000)
        }
        let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "Prometheus did not become ready:\n\(output)")
    }

    deinit {
        stop()
    }

    package func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The value of an instant query with a single-element result, or nil.
    package func query(_ promQL: String) throws -> Double? {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "query", value: promQL)]
        let encoded = components.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B")
        let response = try RawHTTPClient.get(port: port, path: "/api/v1/query?\(encoded)")
        guard response.status == 200,
            let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else {
            throw Failure(description: "query \(promQL) failed: \(response.status) \(response.text)")
        }
        guard result.count == 1, let value = result[0]["value"] as? [Any], value.count == 2,
            let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    /// Polls `promQL` until `accept` holds or `timeout` passes; returns the last value.
    package func waitForValue(_ promQL: String, timeout: Double, _ accept: (Double) -> Bool) throws -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Double?
        repeat {
            last = try query(promQL)
            if let last, accept(last) { return last }
            usleep(250_000)
        } while Date() < deadline
        return last
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

/// The arguments of `prometheus-multiproc serve`, parsed without side effects.
struct ServeOptions: Equatable {
    /// The multiprocess directory served.
    var directory: String
    /// Where to listen; every IPv4 interface by default, as Python's `start_http_server`, so that
    /// a container's port can be scraped.
    var address = "0.0.0.0"
    var port = 9100
    var lifecycle = MultiprocessLifecycle.automatic
    var tls: MetricsServerTLS?

    static let usage = """
          serve DIR [--listen ADDRESS:PORT] [--liveness MODE] [--archiving MODE] [--tls-* ...]
                        serve the merged view of DIR on /metrics (text, OpenMetrics, gzip, name[]
                        filtering, self-metrics), e.g. as a sidecar of a Python (gunicorn) fleet;
                        stops cleanly on SIGTERM or SIGINT.
            --listen ADDRESS:PORT   default 0.0.0.0:9100 (every interface); :PORT, [::1]:PORT
            --liveness MODE         leases-and-processes (default: dead workers' live gauges
                                    leave the merge), leases-only, or off (as Python)
            --archiving MODE        on-scrape (default: dead workers' files are folded into the
                                    archives), background:SECONDS, or off (keep every file, for
                                    directories a Python master also reads)
        \(TLSCommandLineOptions.usage.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

        """

    /// Parses the arguments after `serve`.
    ///
    /// - Returns: the options, or a message naming what is wrong.
    static func parse(_ arguments: [String]) -> Result<ServeOptions, ServeOptionsError> {
        var rest = arguments[...]
        guard let directory = rest.popFirst(), !directory.hasPrefix("-") else {
            return .failure(.init(message: "serve needs a directory"))
        }
        var options = ServeOptions(directory: directory)
        var tlsOptions = TLSCommandLineOptions()
        while let option = rest.popFirst() {
            let value = rest.popFirst()
            do {
                if try tlsOptions.accept(option, value: value) { continue }
            } catch {
                return .failure(.init(message: error.description))
            }
            switch (option, value) {
            case ("--listen", let text?):
                guard let (address, port) = MetricsListener.splitHostPort(text) else {
                    return .failure(.init(message: "--listen needs ADDRESS:PORT, e.g. 0.0.0.0:9100, not \(text)"))
                }
                (options.address, options.port) = (address, port)
            case ("--liveness", "leases-and-processes"): options.lifecycle.liveness = .leasesAndProcesses
            case ("--liveness", "leases-only"): options.lifecycle.liveness = .leasesOnly
            case ("--liveness", "off"): options.lifecycle.liveness = .off
            case ("--liveness", _):
                return .failure(.init(message: "--liveness needs leases-and-processes, leases-only or off"))
            case ("--archiving", "on-scrape"): options.lifecycle.archiving = .onScrape
            case ("--archiving", "off"): options.lifecycle.archiving = .off
            case ("--archiving", let text?) where text.hasPrefix("background:"):
                guard let seconds = Double(text.dropFirst("background:".count)), seconds > 0, seconds <= 86_400
                else {
                    return .failure(.init(message: "--archiving background:SECONDS needs 0 < SECONDS <= 86400"))
                }
                options.lifecycle.archiving = .background(interval: seconds)
            case ("--archiving", _):
                return .failure(.init(message: "--archiving needs on-scrape, background:SECONDS or off"))
            default:
                return .failure(.init(message: "unknown serve option \(option)"))
            }
        }
        do {
            options.tls = try tlsOptions.serverTLS()
        } catch {
            return .failure(.init(message: error.description))
        }
        return .success(options)
    }
}

/// Why `serve`'s arguments were refused.
struct ServeOptionsError: Error, Equatable {
    var message: String
}

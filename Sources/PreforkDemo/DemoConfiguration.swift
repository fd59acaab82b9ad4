import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

/// The command line of `prefork-demo`.
struct DemoConfiguration {
    /// Where the application listens.
    var appAddress = "127.0.0.1"
    var appPort = 8080
    /// Where the master serves the merged metrics.
    var metricsAddress = "127.0.0.1"
    var metricsPort = 9100
    /// Number of worker processes; 0 means one per core.
    var workers = 0
    /// The multiprocess directory; nil means PROMETHEUS_MULTIPROC_DIR or a fresh temporary one.
    var directory: String?
    /// What the master does with an earlier run's files in the directory.
    var previousRun = MultiprocessGeneration.PreviousRun.carryOver
    /// HTTPS for the metrics port (`--tls-*`); nil serves plain HTTP.
    var metricsTLS: MetricsServerTLS?
    /// Internal: set when this process was spawned by the master to replace a dead worker.
    var workerListenFD: Int32?
    var workerMasterPID: pid_t = 0
    var workerSlot = 0

    static let usage = """
        prefork-demo: a pre-fork HTTP application whose worker processes record Prometheus metrics
        into a shared multiprocess directory; the master merges them and serves them on its own port.

        usage: prefork-demo [options]

          --app ADDRESS:PORT      where the application listens (default 127.0.0.1:8080).
                                  All workers accept on this one socket, bound by the master.
          --metrics ADDRESS:PORT  where the master serves the merged /metrics (default 127.0.0.1:9100).
                                  Port 0 picks a free port (printed at start-up). IPv6: [::1]:9100.
          --workers N             number of worker processes (default: number of cores).
          --dir PATH              multiprocess directory (default: $PROMETHEUS_MULTIPROC_DIR, else a
                                  fresh temporary directory). The master claims it: a second master
                                  on the same directory is refused.
          --previous-run POLICY   what to do with the files of an earlier run's dead writers:
                                  carry-over (default: counters folded into the archives, totals go
                                  on), remove (every total starts from zero) or keep.
        \(TLSCommandLineOptions.usage)
          --help                  show this text.

        Application paths: /  /work?ms=N (sleeps up to 1000 ms)  /status/CODE  /pid
        A worker that dies (e.g. kill -9 <pid>) is replaced; its live gauges leave the next scrape
        (its lease is gone), its counters stay and its files are folded into the archives. SIGINT or SIGTERM stops the master and every worker.
        """

    enum ParseResult {
        case run(DemoConfiguration)
        case help
        case invalid(String)
    }

    static func parse(_ arguments: [String]) -> ParseResult {
        var configuration = DemoConfiguration()
        if let directory = getenv("PROMETHEUS_MULTIPROC_DIR").map({ String(cString: $0) }), !directory.isEmpty {
            configuration.directory = directory
        }
        var tlsOptions = TLSCommandLineOptions()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            func value() -> String? { iterator.next() }
            if argument.hasPrefix("--tls-") {
                do {
                    if try tlsOptions.accept(argument, value: value()) { continue }
                } catch {
                    return .invalid(error.description)
                }
            }
            switch argument {
            case "--help", "-h":
                return .help
            case "--app", "--metrics":
                guard let text = value(), let (address, port) = MetricsListener.splitHostPort(text) else {
                    return .invalid("\(argument) needs ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
                }
                if argument == "--app" {
                    (configuration.appAddress, configuration.appPort) = (address, port)
                } else {
                    (configuration.metricsAddress, configuration.metricsPort) = (address, port)
                }
            case "--workers":
                guard let text = value(), let count = Int(text), (1...256).contains(count) else {
                    return .invalid("--workers needs a number between 1 and 256")
                }
                configuration.workers = count
            case "--dir":
                guard let path = value(), !path.isEmpty else { return .invalid("--dir needs a path") }
                configuration.directory = path
            case "--previous-run":
                switch value() {
                case "carry-over": configuration.previousRun = .carryOver
                case "remove": configuration.previousRun = .remove
                case "keep": configuration.previousRun = .keep
                default: return .invalid("--previous-run needs carry-over, remove or keep")
                }
            case "--worker-listen-fd":
                guard let text = value(), let fd = Int32(text), fd >= 0 else {
                    return .invalid("bad --worker-listen-fd")
                }
                configuration.workerListenFD = fd
            case "--worker-master-pid":
                guard let text = value(), let pid = pid_t(text) else { return .invalid("bad --worker-master-pid") }
                configuration.workerMasterPID = pid
            case "--worker-slot":
                guard let text = value(), let slot = Int(text) else { return .invalid("bad --worker-slot") }
                configuration.workerSlot = slot
            default:
                return .invalid("unknown option \(argument)")
            }
        }
        do {
            configuration.metricsTLS = try tlsOptions.serverTLS()
        } catch {
            return .invalid(error.description)
        }
        if configuration.workers == 0 {
            configuration.workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
        return .run(configuration)
    }
}

import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

// Serves a registry of `families` counters with `children` labelled series each on the built-in
// server, for Scripts/benchmark-http.sh (the Python client serves the same shape there); or, with
// --multiproc-dir, the merged view of a multiprocess directory, as a master serves it, for the
// scrape suite of Scripts/benchmark.sh. The connection-flood tests run it too, so that its threads
// and memory can be read from /proc apart from the test runner's.
var port = 0
var families = 10
var children = 100
var maxConnections = 256
var requestTimeout = 10
var multiprocessDirectory: String?
let usage = """
    usage: http-benchmark-server --port N [--families N] [--children N] [--max-connections N] \
    [--multiproc-dir DIR]
    """
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    if argument == "--multiproc-dir" {
        multiprocessDirectory = arguments.next()
        continue
    }
    guard let value = arguments.next().flatMap({ Int($0) }) else {
        print(usage)
        exit(2)
    }
    switch argument {
    case "--port": port = value
    case "--families": families = value
    case "--children": children = value
    case "--max-connections": maxConnections = value
    case "--request-timeout": requestTimeout = value
    default:
        print("unknown option \(argument)")
        exit(2)
    }
}

TerminationSignal.block()

let registry = CollectorRegistry()
if let multiprocessDirectory {
    // Judging no writer: the directory is synthetic (made by make_multiproc_dir.py), as for Python.
    try registry.register(MultiProcessCollector(path: multiprocessDirectory, lifecycle: .manual))
    families = 0
}
for family in 0..<families {
    let counter = try Counter(
        name: "bench_family_\(family)", help: "Benchmark family \(family)", labelNames: ["id"], registry: registry)
    for child in 0..<children {
        try counter.labels(String(child)).inc(by: Double(child + 1))
    }
}
var options = MetricsServerOptions()
options.maxConnections = maxConnections
options.requestTimeout = Double(requestTimeout)
options.backlog = 1024
let server = try MetricsServer.start(port: port, address: "127.0.0.1", registry: registry, options: options)
print("serving \(multiprocessDirectory ?? "\(families * children) series") on http://127.0.0.1:\(server.port)/metrics")
fflush(nil)
_ = TerminationSignal.wait()
server.stop()

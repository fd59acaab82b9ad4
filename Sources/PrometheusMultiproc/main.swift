import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import PrometheusServing

// prometheus-multiproc: works on multiprocess directories written by this package's workers or by the
// Python client's, so it can also serve as a sidecar tool for Python deployments.

let usage = """
    usage: prometheus-multiproc <command> [arguments]

    commands:
      merge DIR [--format text|openmetrics] [--no-liveness]
                    print the merged exposition of every .db file in DIR, as a master would serve it:
                    live-mode gauges of dead writers are left out (--no-liveness: every file counts,
                    as in Python); nothing in DIR is changed
      status DIR    list every writer of DIR: identity, alive or dead and why, files, bytes
      reap DIR      archive every dead writer of DIR now (live-mode files deleted, the rest folded
                    into the archives), as a master with automatic archiving does at each scrape
      inspect FILE  list the entries of one .db file (offset, key, value, timestamp) and report
                    every problem the merge would skip, with byte offsets (exit status 1 if any)
      mark-dead [--no-archive] DIR PID
                    report worker PID dead: delete its live-gauge files and fold its other files
                    into the archive files, as markProcessDead(pid:path:) does; with --no-archive
                    keep its other files, as Python does (for directories Python masters read)
    \(ServeOptions.usage)
      help          show this text

    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("prometheus-multiproc: \(message)\n".utf8))
    exit(status)
}

func merge(_ arguments: [String]) throws {
    guard let directory = arguments.first else { fail("merge needs a directory\n\n\(usage)") }
    var format = ExpositionFormat.prometheusText004
    var lifecycle = MultiprocessLifecycle(liveness: .leasesAndProcesses, archiving: .off)
    var rest = arguments.dropFirst()
    while let option = rest.popFirst() {
        if option == "--no-liveness" {
            lifecycle = .manual
            continue
        }
        guard option == "--format", let value = rest.popFirst() else { fail("unknown option \(option)") }
        switch value {
        case "text": format = .prometheusText004
        case "openmetrics": format = .openMetrics100
        default: fail("--format must be text or openmetrics, not \(value)")
        }
    }
    let families = try MultiProcessCollector(path: directory, lifecycle: lifecycle).collect()
    FileHandle.standardOutput.write(Data(Exposition.render(families, as: format)))
}

func inspect(_ arguments: [String]) {
    guard arguments.count == 1 else { fail("inspect needs exactly one file\n\n\(usage)") }
    let inspection = DBFileInspection(path: arguments[0])
    if case .missing = inspection.problem {
        fail("\(arguments[0]) does not exist", status: 1)
    }
    print("offset\tfamily\tsample{labels}\tvalue\ttimestamp\thelp")
    for entry in inspection.entries {
        let labels = entry.labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
        print(
            "\(entry.offset)\t\(entry.familyName)\t\(entry.sampleName){\(labels)}\t\(GoFloatFormat.string(entry.value))"
                + "\t\(entry.timestamp)\t\(entry.help.debugDescription)")
    }
    print("\(inspection.entries.count) entries")
    for problem in inspection.problems {
        FileHandle.standardError.write(Data("prometheus-multiproc: \(arguments[0]): \(problem)\n".utf8))
    }
    if !inspection.problems.isEmpty {
        fail(
            inspection.isUnreadable
                ? "\(arguments[0]) is corrupt: the merge skips the whole file"
                : "\(arguments[0]): the merge skips \(inspection.problems.count) entries", status: 1)
    }
}

func markDead(_ arguments: [String]) throws {
    var rest = arguments
    let archiving = rest.first != "--no-archive"
    if !archiving { rest.removeFirst() }
    guard rest.count == 2, let pid = Int32(rest[1]) else { fail("mark-dead needs [--no-archive] DIR PID\n\n\(usage)") }
    guard try markProcessDead(pid: pid, path: rest[0], archiving: archiving) else {
        fail("\(pid) still holds its writer lease in \(rest[0]): it is alive, so nothing was changed", status: 1)
    }
}

func status(_ arguments: [String]) throws {
    guard arguments.count == 1 else { fail("status needs exactly one directory\n\n\(usage)") }
    let collector = try MultiProcessCollector(path: arguments[0], lifecycle: .init(archiving: .off))
    let writers = try collector.writerStatus()
    print("identity\tstate\treason\tfiles\tbytes")
    for writer in writers {
        print(
            "\(writer.identity)\t\(writer.verdict.isAlive ? "alive" : "dead")\t\(writer.verdict.reason)"
                + "\t\(writer.files.count)\t\(writer.bytes)")
    }
    let alive = writers.filter(\.verdict.isAlive).count
    print("\(writers.count) writers: \(alive) alive, \(writers.count - alive) dead")
}

func reap(_ arguments: [String]) throws {
    guard arguments.count == 1 else { fail("reap needs exactly one directory\n\n\(usage)") }
    let collector = try MultiProcessCollector(path: arguments[0], lifecycle: .init(archiving: .off))
    let archived = try collector.archiveDeadWriters()
    print("archived \(archived.count) dead writers\(archived.isEmpty ? "" : ": " + archived.joined(separator: " "))")
}

func serve(_ arguments: [String]) throws {
    let options: ServeOptions
    switch ServeOptions.parse(arguments) {
    case .success(let parsed): options = parsed
    case .failure(let error): fail("\(error.message)\n\n\(usage)")
    }
    TerminationSignal.block()
    let registry = CollectorRegistry()
    try registry.register(MultiProcessCollector(path: options.directory, lifecycle: options.lifecycle))
    var serverOptions = MetricsServerOptions()
    serverOptions.tls = options.tls
    let server = try MetricsServer.start(
        port: options.port, address: options.address, registry: registry, options: serverOptions)
    let scheme = options.tls == nil ? "http" : "https"
    let host = options.address.contains(":") ? "[\(options.address)]" : options.address
    print("prometheus-multiproc: serving \(options.directory) on \(scheme)://\(host):\(server.port)/metrics")
    fflush(nil)
    let received = TerminationSignal.wait()
    server.stop()
    print("prometheus-multiproc: stopped on signal \(received)")
}

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "help" : arguments.removeFirst()
do {
    switch command {
    case "merge": try merge(arguments)
    case "inspect": inspect(arguments)
    case "mark-dead": try markDead(arguments)
    case "status": try status(arguments)
    case "reap": try reap(arguments)
    case "serve": try serve(arguments)
    case "help", "--help", "-h": print(usage, terminator: "")
    default: fail("unknown command \(command)\n\n\(usage)")
    }
} catch {
    fail("\(error)", status: 1)
}

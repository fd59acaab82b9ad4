import Foundation
import PrometheusClient

// Usage: prometheus-benchmarks [suite ...] [--iterations N]
// Suites: core (default), multiprocess (run it in its own process), merge DIR LABEL, coalesce DIR, parse,
// render, memory. Prints one "name<TAB>ns/op" line per measurement.
var arguments = Array(CommandLine.arguments.dropFirst())
var iterations = 10_000_000
if let flag = arguments.firstIndex(of: "--iterations"), flag + 1 < arguments.count,
    let value = Int(arguments[flag + 1])
{
    iterations = value
    arguments.removeSubrange(flag...(flag + 1))
}
let suites = arguments.isEmpty ? ["core"] : arguments

do {
    for suite in suites {
        switch suite {
        case "core":
            for measurement in try CoreBenchmarks.run(iterations: iterations) { print(measurement.line) }
        case "merge":
            // merge DIR LABEL: time merging a directory made by Scripts/make_multiproc_dir.py.
            guard arguments.count == 3 else {
                FileHandle.standardError.write(Data("usage: prometheus-benchmarks merge DIR LABEL\n".utf8))
                exit(2)
            }
            for measurement in try MergeBenchmarks.run(directory: arguments[1], label: arguments[2]) {
                print(measurement.line)
            }
            exit(0)
        case "merge-render", "merge-cold":
            // merge-render DIR ROUNDS: only warm text renders of a merged directory, then the floors
            // (pread, batched copy, mapped: MappedFloors); merge-cold DIR ROUNDS: only cold collections (a new collector each). For
            // profilers (perf, callgrind); each prints medians.
            guard arguments.count == 3, let rounds = Int(arguments[2]) else {
                FileHandle.standardError.write(Data("usage: prometheus-benchmarks \(suite) DIR ROUNDS\n".utf8))
                exit(2)
            }
            if suite == "merge-cold" {
                print(try MergeBenchmarks.coldOnly(directory: arguments[1], rounds: rounds).line)
                exit(0)
            }
            print(try MergeBenchmarks.renderOnly(directory: arguments[1], rounds: rounds).line)
            let floor = try MergeFloor.measure(directory: arguments[1], rounds: rounds)
            print(Measurement(name: "merge_floor_pread_median_ms", value: floor.median * 1e3).line)
            let floors = try MappedFloors.measure(directory: arguments[1], rounds: rounds)
            print(Measurement(name: "merge_floor_batched_copy_median_ms", value: floors.batchedCopy.median * 1e3).line)
            print(Measurement(name: "merge_floor_chosen_median_ms", value: floors.chosen.median * 1e3).line)
            print(Measurement(name: "merge_floor_mapped_median_ms", value: floors.mapped.median * 1e3).line)
            exit(0)
        case "coalesce":
            // coalesce DIR: concurrent scrapes of a master of a directory made by make_multiproc_dir.py.
            guard arguments.count == 2 else {
                FileHandle.standardError.write(Data("usage: prometheus-benchmarks coalesce DIR\n".utf8))
                exit(2)
            }
            for measurement in try CoalesceBenchmarks.run(directory: arguments[1]) { print(measurement.line) }
            exit(0)
        case "parse":
            for measurement in try ParseBenchmarks.run() { print(measurement.line) }
        case "render":
            for measurement in try RenderBenchmarks.run() { print(measurement.line) }
        case "memory":
            for measurement in try MemoryBenchmarks.run(children: 200_000) { print(measurement.line) }
        case "parse-corpus":
            // parse-corpus text|openmetrics: print the generated exposition, for the Python side.
            let format: ExpositionFormat =
                arguments.dropFirst().first == "openmetrics" ? .openMetrics100 : .prometheusText004
            FileHandle.standardOutput.write(Data(try ParseBenchmarks.render(format)))
            exit(0)
        case "multiprocess":
            for measurement in try MultiprocessBenchmarks.run(iterations: iterations) { print(measurement.line) }
        default:
            FileHandle.standardError.write(
                Data(
                    "unknown suite \(suite); available: core, multiprocess, merge DIR LABEL, parse, render, memory\n"
                        .utf8))
            exit(2)
        }
    }
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}

// A worker process for the multiprocess tests: it enables multiprocess mode, creates metrics, and
// forks children that write concurrently, or writes until it is killed. Tests spawn it; the test
// runner itself never forks.
//
//   PrometheusTestWorker fork DIR CHILDREN INCREMENTS   fork CHILDREN children, each incrementing
//                                                       from two threads while the parent writes too
//   PrometheusTestWorker grow DIR                       create and increment series until SIGKILLed
//   PrometheusTestWorker hold DIR [IDENTITY]            write a counter and gauges (livesum, liveall,
//                                                       max), print ready, and keep its files mapped
//                                                       until standard input closes; IDENTITY is pid,
//                                                       slot:N, name:NAME or free:COUNT
//   PrometheusTestWorker churn DIR KILLS LIVE           keep LIVE forked writers, then fork and SIGKILL
//                                                       KILLS more one by one, printing each pid and
//                                                       waiting for a line on standard input
//   PrometheusTestWorker env                            choose the mode from the environment only
//   PrometheusTestWorker bootstrap DIR                  bootstrap a configuration naming DIR, then
//                                                       write a counter; print what took effect
//   PrometheusTestWorker allocations SERIES             print the heap allocations of one warm scrape
//                                                       of SERIES counter, gauge and histogram series
//   PrometheusTestWorker scrapecost DIR SCRAPES         scrape a master of DIR SCRAPES times, printing
//                                                       each one's seconds and the peak resident memory
//   PrometheusTestWorker descriptors DIR LIMIT          collect DIR under a descriptor limit of LIMIT,
//                                                       then with none left, then again; print sums
//   PrometheusTestWorker script DIR                     run the commands of ScriptedWorker (one per
//                                                       line on standard input, "ok" after each)
//   PrometheusTestWorker forbidden-copy DIR ROUNDS      scrape DIR ROUNDS times where a seccomp filter
//                                                       refuses process_vm_readv; print the last text
import CAllocationCounter
import Foundation
import Glibc
import PrometheusClient
import PrometheusMultiprocess
import Synchronization

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "fork" where arguments.count == 5:
        guard let children = Int(arguments[3]), let increments = Int(arguments[4]) else { fail("bad numbers") }
        try runFork(directory: arguments[2], children: children, increments: increments)
    case "nativegrow" where arguments.count == 3:
        try runNativeGrow(directory: arguments[2])
    case "grow" where arguments.count == 3:
        try runGrow(directory: arguments[2])
    case "hold" where arguments.count == 3 || arguments.count == 4:
        try runHold(directory: arguments[2], identity: identity(arguments.count == 4 ? arguments[3] : "pid"))
    case "churn" where arguments.count == 5:
        guard let kills = Int(arguments[3]), let live = Int(arguments[4]) else { fail("bad numbers") }
        try runChurn(directory: arguments[2], kills: kills, live: live)
    case "env":
        runEnvironment()
    case "bootstrap" where arguments.count == 3:
        runBootstrap(directory: arguments[2])
    case "script" where arguments.count == 3:
        try runScript(directory: arguments[2])
    case "scrapecost" where arguments.count == 4:
        guard let scrapes = Int(arguments[3]) else { fail("bad number") }
        try runScrapeCost(directory: arguments[2], scrapes: scrapes)
    case "forbidden-copy" where arguments.count == 4:
        guard let rounds = Int(arguments[3]) else { fail("bad number") }
        try runForbiddenCopy(directory: arguments[2], rounds: rounds)
    case "descriptors" where arguments.count == 4:
        guard let limit = Int(arguments[3]) else { fail("bad number") }
        try runDescriptorPressure(directory: arguments[2], limit: limit)
    case "allocations" where arguments.count == 3:
        guard let series = Int(arguments[2]) else { fail("bad number") }
        try runAllocations(series: series)
    default:
        fail(
            "usage: PrometheusTestWorker fork DIR CHILDREN INCREMENTS | grow DIR | hold DIR [IDENTITY]"
                + " | churn DIR KILLS LIVE | env | bootstrap DIR | allocations SERIES | scrapecost DIR SCRAPES"
                + " | script DIR")
    }
} catch {
    fail("\(error)")
}

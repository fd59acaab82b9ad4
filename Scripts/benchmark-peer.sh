#!/usr/bin/env bash
# Measures this package against swift-server/swift-prometheus 2.4.1 in one run, on this machine, with
# a release build: rendering (10,000 labelled counters, 10,000 gauges, 1,000 histograms of 11
# buckets; ours in the text format and OpenMetrics, with and without _created, against swift-prometheus'
# one text format) and resident bytes per labelled series (100 counters x 1,000 series of 3 labels;
# ours in process and in multiprocess mode, each in a process of its own).
#
# The side-by-side program is written into a temporary package outside the repository that depends on
# swift-prometheus (a local package on these machines) and on this package by path; nothing of
# swift-prometheus is kept in the repository.
#
#   bash Scripts/benchmark-peer.sh            # ROUNDS (default 7) alternating rounds
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="${PEER_BENCH_DIR:-$(mktemp -d /tmp/prometheus-peer-bench.XXXXXX)}"
mkdir -p "$work/Sources/PeerBenchmark"
cat >"$work/Package.swift" <<EOF
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "PeerBenchmark",
    dependencies: [
        .package(path: "$root"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "PeerBenchmark",
            dependencies: [
                .product(name: "PrometheusClient", package: "$(basename "$root" | tr '[:upper:]' '[:lower:]')"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
    ]
)
EOF
cat >"$work/Sources/PeerBenchmark/main.swift" <<'EOF'
import Foundation
import Prometheus
import PrometheusClient

// Both libraries get the same series: labels method="GET", route="/api/item/N"; counters incremented
// by N, gauges set to N * 0.37 + 0.5, histograms observing 20 values each.
let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

func nanoseconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start)
}

/// The fastest of `tries` renders, in ms (a round's figure; rounds alternate between the libraries).
func best(_ tries: Int, _ body: () -> Void) -> Double {
    (0..<tries).map { _ in nanoseconds(body) }.min()! / 1e6
}

func ourRegistries() throws -> [(String, CollectorRegistry)] {
    let counters = CollectorRegistry()
    let counter = try Counter(name: "http_requests", help: "Requests.", labelNames: ["method", "route"], registry: counters)
    let gauges = CollectorRegistry()
    let gauge = try Gauge(name: "temperature", help: "T.", labelNames: ["method", "route"], registry: gauges)
    for index in 0..<10_000 {
        try counter.labels("GET", "/api/item/\(index)").inc(by: Double(index))
        try gauge.labels("GET", "/api/item/\(index)").set(Double(index) * 0.37 + 0.5)
    }
    let histograms = CollectorRegistry()
    let histogram = try PrometheusClient.Histogram(
        name: "latency_seconds", help: "L.", labelNames: ["method", "route"], buckets: buckets, registry: histograms)
    for index in 0..<1_000 {
        let child = try histogram.labels("GET", "/api/item/\(index)")
        for observation in 0..<20 { child.observe(Double((index + observation) % 40) * 0.3) }
    }
    return [("counters", counters), ("gauges", gauges), ("histograms", histograms)]
}

func peerRegistries() -> [(String, PrometheusCollectorRegistry)] {
    let counters = PrometheusCollectorRegistry()
    let gauges = PrometheusCollectorRegistry()
    let histograms = PrometheusCollectorRegistry()
    for index in 0..<10_000 {
        let labels = [("method", "GET"), ("route", "/api/item/\(index)")]
        counters.makeCounter(name: "http_requests_total", labels: labels, help: "Requests.").increment(by: Double(index))
        gauges.makeGauge(name: "temperature", labels: labels, help: "T.").set(Double(index) * 0.37 + 0.5)
    }
    for index in 0..<1_000 {
        let labels = [("method", "GET"), ("route", "/api/item/\(index)")]
        let histogram = histograms.makeValueHistogram(
            name: "latency_seconds", labels: labels, buckets: buckets, help: "L.")
        for observation in 0..<20 { histogram.record(Double((index + observation) % 40) * 0.3) }
    }
    return [("counters", counters), ("gauges", gauges), ("histograms", histograms)]
}

func render(rounds: Int) throws {
    let ours = try ourRegistries()
    let peers = peerRegistries()
    var bytes: [UInt8] = []
    var peerBytes: [UInt8] = []
    let formats: [(String, ExpositionFormat, Bool)] = [
        ("text", .prometheusText004, false), ("text_created", .prometheusText004, true),
        ("openmetrics", .openMetrics100, false), ("openmetrics_created", .openMetrics100, true),
    ]
    for ((name, registry), (_, peer)) in zip(ours, peers) {
        var figures: [String: [Double]] = [:]
        for _ in 0..<rounds {
            peerBytes.removeAll(keepingCapacity: true)
            figures["swift-prometheus", default: []].append(
                best(5) {
                    peerBytes.removeAll(keepingCapacity: true)
                    peer.emit(into: &peerBytes)
                })
            for (label, format, created) in formats {
                figures[label, default: []].append(
                    best(5) { registry.render(as: format, escaping: .underscores, createdSeries: created, into: &bytes) })
            }
        }
        let peerFigures = figures["swift-prometheus"]!.sorted()
        let peerMedian = peerFigures[peerFigures.count / 2]
        print("render_\(name)\tswift-prometheus\t\(String(format: "%.3f", peerMedian))\t\(String(format: "%.3f..%.3f", peerFigures.first!, peerFigures.last!))\t1.00x")
        for (label, _, _) in formats {
            let sorted = figures[label]!.sorted()
            let median = sorted[sorted.count / 2]
            print("render_\(name)\tours_\(label)\t\(String(format: "%.3f", median))\t\(String(format: "%.3f..%.3f", sorted.first!, sorted.last!))\t\(String(format: "%.2fx", peerMedian / median))")
        }
    }
}

func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Resident bytes per series of 100 counters x 1,000 label sets of three labels, created and
/// incremented once each.
func memory(peer: Bool) throws {
    let (metrics, children) = (100, 1_000)
    var keep: [AnyObject] = []
    let before = residentBytes()
    if peer {
        let registry = PrometheusCollectorRegistry()
        for metric in 0..<metrics {
            for child in 0..<children {
                let counter = registry.makeCounter(
                    name: "memory_counter_\(metric)_total",
                    labels: [("service", "api"), ("route", "/api/item/\(child)"), ("status", "200")], help: "M.")
                counter.increment()
            }
        }
        keep.append(registry)
    } else {
        let registry = CollectorRegistry()
        for metric in 0..<metrics {
            let counter = try Counter(
                name: "memory_counter_\(metric)", help: "M.", labelNames: ["service", "route", "status"],
                registry: registry)
            for child in 0..<children { try counter.labels("api", "/api/item/\(child)", "200").inc() }
        }
        keep.append(registry)
    }
    let after = residentBytes()
    withExtendedLifetime(keep) {}
    print(String(format: "%.0f", Double(after - before) / Double(metrics * children)))
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "render": try render(rounds: Int(arguments.dropFirst().first ?? "") ?? 7)
case "memory-ours": try memory(peer: false)
case "memory-peer": try memory(peer: true)
default:
    FileHandle.standardError.write(Data("usage: PeerBenchmark render [ROUNDS] | memory-ours | memory-peer\n".utf8))
    exit(2)
}
EOF
echo "== building the side-by-side program in $work (release)"
swift build -c release --package-path "$work" 2>&1 | grep -E "error|Compiling PeerBenchmark|Build complete" || true
program="$(swift build -c release --package-path "$work" --show-bin-path)/PeerBenchmark"
rounds="${ROUNDS:-7}"
echo "== render: ms per scrape, median and min..max of $rounds alternating rounds (fastest of 5 each), $(nproc) cores"
echo "   (ratio: swift-prometheus' median / this row's median; above 1 means this package is faster)"
printf 'case\tlibrary\tmedian\trange\tratio\n'
"$program" render "$rounds"
echo "== memory: resident bytes per labelled counter series (100 x 1,000, 3 labels), median of 5 processes each"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
peer=$(for _ in 1 2 3 4 5; do "$program" memory-peer; done | median)
ours=$(for _ in 1 2 3 4 5; do "$program" memory-ours; done | median)
multiproc_dir="$(mktemp -d)"
multiprocess=$(for _ in 1 2 3 4 5; do
    rm -f "$multiproc_dir"/*
    PROMETHEUS_MULTIPROC_DIR="$multiproc_dir" "$program" memory-ours
done | median)
rm -rf "$multiproc_dir"
printf 'swift-prometheus 2.4.1\t%s\n' "$peer"
printf 'ours, in process\t%s\t(%s of swift-prometheus)\n' "$ours" "$(python3 -c "print('%.2fx' % ($ours / $peer))")"
printf 'ours, multiprocess\t%s\t(%s of swift-prometheus; the mapped file pages are resident too)\n' \
    "$multiprocess" "$(python3 -c "print('%.2fx' % ($multiprocess / $peer))")"
[ -z "${PEER_BENCH_DIR:-}" ] && rm -rf "$work"
exit 0

#!/usr/bin/env bash
# Measures this package against the Python client 0.25.0 on the same work, on this machine, in one
# run, with a release build. Prints both figures and their ratio (Python / Swift: how many times
# faster, or for memory how many times smaller, this package is).
#
# Usage: bash Scripts/benchmark.sh [suite ...]
#   core          hot paths in process: counter inc, gauge set, histogram observe (classic, native and
#                 classic, native only), labels lookup (ns/op)
#   multiprocess  the same updates on memory-mapped files in multiprocess mode, native histogram
#                 buckets included (ns/op)
#   merge         the master's merge of P processes x S series (10x100 ... 3000x100, 16x4000; MERGE_SHAPES):
#                 Python's collector, the Rust reader (prometheus-client-python-speedups), ours cold and
#                 warm, the floor of the merge's way of reading, a warm scrape over HTTP and a loopback
#                 round trip; then the floors of each way (pread, a batched process_vm_readv of mapped
#                 files, the merge's mix of both, the mappings read directly); medians of
#                 MERGE_WARM_ROUNDS (default 60) rounds for the warm figures, of 9 for the cold ones and
#                 for Python's and the Rust reader's merges
#   parse         parser throughput on a ~10 MB exposition, text and OpenMetrics (ns per byte)
#   render        a scrape's rendering in process: 10,000 counter series, 10,000 gauge series, 1,000
#                 histograms x 11 buckets, text and OpenMetrics, with and without _created (ms)
#   memory        resident memory per labelled child of a counter, gauge and histogram (bytes)
#   coalesce      8 concurrent gzip scrapes of a master of 1000 workers x 100 series: sharing one
#                 collection (the default) against each collecting, and one scrape alone (ms)
#   scrape        a multiprocess master's whole scrape over HTTP with gzip (merge, render, compress)
#                 of 1000 workers x 100 series, this package's server against the Python client's
#                 master on the same directory (ms: median, fastest, slowest of 15 alternating scrapes)
# Default: all suites.
#
#   bash Scripts/benchmark.sh --baseline REV [suite ...]
#       instead of Python, compares this tree with git revision REV (built in a temporary worktree):
#       both binaries run alternately, ROUNDS times (default 5), and each figure is printed as the
#       median and the min..max of each side and the ratio of the medians (before / after: above 1
#       means this tree is faster or smaller). PIN=CPU runs both on that one processor (taskset):
#       on a shared VM whose speed swings between rounds, that keeps the two sides comparable.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline=""
if [ "${1:-}" = "--baseline" ]; then
    baseline="$2"
    shift 2
fi
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then suites=(core multiprocess merge parse render memory scrape coalesce); fi

if [ -n "$baseline" ]; then
    swift build -c release --product prometheus-benchmarks >/dev/null
    after="$(swift build -c release --show-bin-path)/prometheus-benchmarks"
    worktree="$(mktemp -d)/baseline"
    git worktree add --detach "$worktree" "$baseline" >/dev/null 2>&1
    trap 'git worktree remove --force "$worktree" >/dev/null 2>&1 || true' EXIT
    swift build -c release --product prometheus-benchmarks --package-path "$worktree" >/dev/null
    before="$(swift build -c release --show-bin-path --package-path "$worktree")/prometheus-benchmarks"
    rounds="${ROUNDS:-5}"
    results="$(mktemp -d)"
    for suite in "${suites[@]}"; do
        arguments=("$suite")
        directory=""
        if [ "$suite" = scrape ] || [ "$suite" = coalesce ]; then
            echo "== $suite: not compared against a revision; run it without --baseline"
            continue
        fi
        if [ "$suite" = merge ]; then
            directory="$(mktemp -d)"
            python3 Scripts/make_multiproc_dir.py "$directory" 1000 100
            arguments=(merge "$directory" 1000x100)
        fi
        if ! "$before" "${arguments[@]}" >/dev/null 2>&1; then
            echo "== $suite: $baseline has no such suite; skipped"
            [ -n "$directory" ] && rm -rf "$directory"
            continue
        fi
        pin=()
        if [ -n "${PIN:-}" ]; then pin=(taskset -c "$PIN"); fi
        for round in $(seq "$rounds"); do
            "${pin[@]}" "$before" "${arguments[@]}" >>"$results/$suite.before"
            "${pin[@]}" "$after" "${arguments[@]}" >>"$results/$suite.after"
        done
        [ -n "$directory" ] && rm -rf "$directory"
        echo "== $suite: $baseline (before) against this tree (after), $rounds alternating rounds, $(nproc) cores"
        python3 - "$results/$suite.before" "$results/$suite.after" <<'PY'
import statistics, sys
def load(path):
    values = {}
    for line in open(path):
        name, value = line.rstrip("\n").split("\t")[:2]
        values.setdefault(name, []).append(float(value))
    return values
before, after = load(sys.argv[1]), load(sys.argv[2])
print("%-28s %22s %22s %8s" % ("measurement", "before median (range)", "after median (range)", "b/a"))
for name in before:
    if name not in after:
        continue
    b, a = before[name], after[name]
    mb, ma = statistics.median(b), statistics.median(a)
    print("%-28s %10.2f (%4.1f-%4.1f) %10.2f (%4.1f-%4.1f) %7.2fx" % (name, mb, min(b), max(b), ma, min(a), max(a), mb / ma if ma else float("nan")))
PY
    done
    rm -rf "$results"
    exit 0
fi

python3 -c 'import prometheus_client' 2>/dev/null || pip install --quiet 'prometheus-client==0.25.0'
swift build -c release --product prometheus-benchmarks >/dev/null
binary="$(swift build -c release --show-bin-path)/prometheus-benchmarks"

compare() {  # $1: unit; reads $swift_results and $python_results
    printf '%-42s %12s %12s %10s\n' "operation ($1)" swift python "python/swift"
    # Swift-only rows (such as the machine's floor for an atomic add) print without a Python figure.
    join -t $'\t' -a 1 -e - -o 0,1.2,2.2 <(sort <<<"$swift_results") <(sort <<<"$python_results") |
        awk -F'\t' '{ if ($3 == "-") printf "%-42s %12.2f %12s %10s\n", $1, $2, "-", "-";
                      else printf "%-42s %12.2f %12.2f %9.1fx\n", $1, $2, $3, $3 / $2 }'
}

for suite in "${suites[@]}"; do
    echo "== $suite (lower is better; release build; $(nproc) cores)"
    case "$suite" in
    core)
        swift_results="$("$binary" core)"
        python_results="$(python3 Scripts/python_benchmark.py core)"
        compare ns/op
        ;;
    multiprocess)
        swift_results="$("$binary" multiprocess)"
        python_directory="$(mktemp -d)"
        python_results="$(PROMETHEUS_MULTIPROC_DIR="$python_directory" python3 Scripts/python_benchmark.py multiprocess 50000)"
        rm -rf "$python_directory"
        compare ns/op
        ;;
    render)
        swift_results="$("$binary" render)"
        python_results="$(python3 Scripts/python_benchmark.py render)"
        compare ms
        ;;
    scrape)
        swift build -c release --product http-benchmark-server >/dev/null
        server="$(swift build -c release --show-bin-path)/http-benchmark-server"
        directory="$(mktemp -d)"
        python3 Scripts/make_multiproc_dir.py "$directory" 1000 100
        "$server" --port 18431 --multiproc-dir "$directory" >/dev/null &
        swift_pid=$!
        python3 Scripts/python_benchmark.py serve "$directory" 18432 &
        python_pid=$!
        for _ in $(seq 100); do
            curl -sf -o /dev/null http://127.0.0.1:18431/metrics && curl -sf -o /dev/null http://127.0.0.1:18432/metrics && break
            sleep 0.2
        done
        printf '%-28s %12s %12s %12s %12s\n' "server (ms, gzip)" median fastest slowest "body bytes"
        python3 Scripts/python_benchmark.py scrape 15 swift=http://127.0.0.1:18431/metrics \
            python=http://127.0.0.1:18432/metrics |
            awk -F'\t' '{ printf "%-28s %12.2f %12.2f %12.2f %12d\n", $1, $2, $3, $4, $5; m[NR] = $2 }
                        END { if (m[1] > 0) printf "%-28s %12.1fx\n", "python/swift (medians)", m[2] / m[1] }'
        kill "$swift_pid" "$python_pid"
        wait "$swift_pid" "$python_pid" 2>/dev/null || true
        rm -rf "$directory"
        ;;
    coalesce)
        directory="$(mktemp -d)"
        python3 Scripts/make_multiproc_dir.py "$directory" 1000 100
        printf '%-42s %12s\n' "scrapes of 1000x100 (ms, median)" swift
        "$binary" coalesce "$directory" | awk -F'\t' '{ printf "%-42s %12.2f\n", $1, $2 }'
        rm -rf "$directory"
        ;;
    memory)
        swift_results="$("$binary" memory)"
        python_results="$(python3 Scripts/python_benchmark.py memory)"
        compare bytes
        ;;
    merge)
        # Shapes: processes x series per process (three files per process). Peers in the same run:
        # Python's MultiProcessCollector and the Rust reader of prometheus-client-python-speedups.
        python3 -c 'import prometheus_client_python_speedups' 2>/dev/null \
            || python3 -m pip install --quiet 'prometheus-client-python-speedups==0.1.0' \
            || python3 -m pip install --quiet --break-system-packages 'prometheus-client-python-speedups==0.1.0'
        rows=""
        for shape in ${MERGE_SHAPES:-10x100 100x100 1000x100 3000x100 16x4000}; do
            processes="${shape%x*}"
            series="${shape#*x}"
            directory="$(mktemp -d)"
            python3 Scripts/make_multiproc_dir.py "$directory" "$processes" "$series"
            rows+="$("$binary" merge "$directory" "$shape")"$'\n'
            rows+="$(python3 Scripts/python_benchmark.py merge "$directory" "$shape")"$'\n'
            rm -rf "$directory"
        done
        python3 - <<PY
rows = {}
for line in """$rows""".splitlines():
    if "\t" in line:
        name, value = line.split("\t")
        rows[name] = float(value)
def get(shape, name):
    return rows.get(f"merge_{shape}_{name}", float("nan"))
print("medians in ms (interquartile spread or range in brackets); floor: the merge's way of reading (small files")
print("copied out of mappings in batches, larger ones with one pread each) and the sum of the values; target: HTTP")
print("warm <= 1.5 x floor + one loopback round trip")
header = ("shape", "files", "entries", "python", "rust", "ours cold", "ours warm", "floor", "http warm", "rtt",
          "rust/cold", "rust/http", "http/target")
print("%-9s %6s %8s %15s %14s %14s %14s %13s %14s %6s %9s %9s %11s" % header)
for shape in "${MERGE_SHAPES:-10x100 100x100 1000x100 3000x100 16x4000}".split():
    processes, series = (int(part) for part in shape.split("x"))
    python, rust = get(shape, "python_median_ms"), get(shape, "rust_median_ms")
    cold, warm = get(shape, "cold_median_ms"), get(shape, "warm_median_ms")
    floor, http, rtt = get(shape, "floor_chosen_median_ms"), get(shape, "http_warm_median_ms"), get(shape, "loopback_round_trip_median_ms")
    cell = lambda value, spread: "%.2f (%.2f)" % (value, spread)
    print("%-9s %6d %8d %15s %14s %14s %14s %13s %14s %6.2f %8.1fx %8.1fx %10.2fx" % (
        shape, 3 * processes, processes * series,
        cell(python, get(shape, "python_range_ms")), cell(rust, get(shape, "rust_range_ms")),
        cell(cold, get(shape, "cold_spread_ms")), cell(warm, get(shape, "warm_spread_ms")),
        cell(floor, get(shape, "floor_chosen_spread_ms")), cell(http, get(shape, "http_warm_spread_ms")), rtt,
        rust / cold, rust / http, http / (1.5 * floor + rtt)))
print()
print("floors by method (MergeFloor, MappedFloors), medians in ms: one pread per file; a batched copy (process_vm_readv")
print("of mapped files) for every file; the merge's choice (batched up to 16 KiB used, pread above); reading the")
print("mappings directly, fastest and unsafe (a truncated file SIGBUSes the reader)")
print("%-9s %14s %14s %14s %14s %14s" % ("shape", "pread", "batched copy", "chosen", "mapped", "http - rtt"))
for shape in "${MERGE_SHAPES:-10x100 100x100 1000x100 3000x100 16x4000}".split():
    cell = lambda name: "%.2f (%.2f)" % (get(shape, name + "_median_ms"), get(shape, name + "_spread_ms"))
    print("%-9s %14s %14s %14s %14s %14.2f" % (
        shape, cell("floor_pread"), cell("floor_batched_copy"), cell("floor_chosen"), cell("floor_mapped"),
        get(shape, "http_warm_median_ms") - get(shape, "loopback_round_trip_median_ms")))
PY
        ;;
    parse)
        swift_results="$("$binary" parse)"
        corpus="$(mktemp -d)"
        "$binary" parse-corpus text >"$corpus/text.prom"
        "$binary" parse-corpus openmetrics >"$corpus/openmetrics.txt"
        echo "(corpus: $(wc -c <"$corpus/text.prom") bytes of text format; MB/s = 1000 / ns-per-byte)"
        python_results="$(python3 Scripts/python_benchmark.py parse "$corpus/text.prom" "$corpus/openmetrics.txt")"
        rm -rf "$corpus"
        compare ns/byte
        ;;
    *)
        echo "unknown suite $suite" >&2
        exit 2
        ;;
    esac
done

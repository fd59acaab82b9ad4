#!/usr/bin/env bash
# Measures this package against the Python client 0.25.0 on the same work, on this machine, in one
# run, with a release build. Prints both figures and their ratio (Python / Swift: how many times
# faster, or for memory how many times smaller, this package is).
#
# Usage: bash Scripts/benchmark.sh [suite ...]
#   core          hot paths in process: counter inc, gauge set, histogram observe, labels lookup (ns/op)
#   multiprocess  the same updates on memory-mapped files in multiprocess mode (ns/op)
#   merge         the master's merge of P processes x 100 series, P = 10, 100, 1000 (ms, cold and warm)
#   parse         parser throughput on a ~10 MB exposition, text and OpenMetrics (ns per byte)
#   memory        resident memory per labelled child of a counter, gauge and histogram (bytes)
# Default: all suites.
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then suites=(core multiprocess merge parse memory); fi

python3 -c 'import prometheus_client' 2>/dev/null || pip install --quiet 'prometheus-client==0.25.0'
swift build -c release --product prometheus-benchmarks >/dev/null
binary="$(swift build -c release --show-bin-path)/prometheus-benchmarks"

compare() {  # $1: unit; reads $swift_results and $python_results
    printf '%-28s %12s %12s %10s\n' "operation ($1)" swift python "python/swift"
    # Swift-only rows (such as the machine's floor for an atomic add) print without a Python figure.
    join -t $'\t' -a 1 -e - -o 0,1.2,2.2 <(sort <<<"$swift_results") <(sort <<<"$python_results") |
        awk -F'\t' '{ if ($3 == "-") printf "%-28s %12.2f %12s %10s\n", $1, $2, "-", "-";
                      else printf "%-28s %12.2f %12.2f %9.1fx\n", $1, $2, $3, $3 / $2 }'
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
    memory)
        swift_results="$("$binary" memory)"
        python_results="$(python3 Scripts/python_benchmark.py memory)"
        compare bytes
        ;;
    merge)
        swift_results=""
        python_results=""
        for processes in 10 100 1000; do
            directory="$(mktemp -d)"
            python3 Scripts/make_multiproc_dir.py "$directory" "$processes" 100
            swift_results+="$("$binary" merge "$directory" "${processes}x100")"$'\n'
            python_results+="$(python3 Scripts/python_benchmark.py merge "$directory" "${processes}x100")"$'\n'
            rm -rf "$directory"
        done
        swift_results="${swift_results%$'\n'}"
        python_results="${python_results%$'\n'}"
        compare ms
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

#!/usr/bin/env bash
# Measures the hot paths of this package against the Python client 0.25.0 on the same work, on this
# machine, in one run. Release build. Prints ns/op for both and the speed-up (Python / Swift).
#
# Usage: bash Scripts/benchmark.sh [suite ...]     (suites: core, multiprocess; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then suites=(core multiprocess); fi

python3 -c 'import prometheus_client' 2>/dev/null || pip install --quiet 'prometheus-client==0.25.0'
swift build -c release --product prometheus-benchmarks >/dev/null
binary="$(swift build -c release --show-bin-path)/prometheus-benchmarks"

for suite in "${suites[@]}"; do
    echo "== $suite (ns/op, lower is better; release build; $(nproc) cores)"
    swift_results="$("$binary" "$suite")"
    if [ "$suite" = multiprocess ]; then
        python_directory="$(mktemp -d)"
        python_results="$(PROMETHEUS_MULTIPROC_DIR="$python_directory" python3 Scripts/python_benchmark.py "$suite" 50000)"
        rm -rf "$python_directory"
    else
        python_results="$(python3 Scripts/python_benchmark.py "$suite")"
    fi
    printf '%-24s %12s %12s %10s\n' operation swift python speed-up
    join -t $'\t' <(sort <<<"$swift_results") <(sort <<<"$python_results") |
        awk -F'\t' '{ printf "%-24s %12.2f %12.2f %9.0fx\n", $1, $2, $3, $3 / $2 }'
done

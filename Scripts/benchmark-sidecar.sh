#!/usr/bin/env bash
# Scrape latency of `prometheus-multiproc serve` (release build) against a Python master
# (prometheus_client 0.25.0's MultiProcessCollector behind start_http_server) serving the same
# directory, as Python workers write it (Scripts/make_multiproc_dir.py), at 100 and 1000 workers'
# worth of files with 100 series each. Both are scraped in turn in the same run, asking for gzip as
# Prometheus does; medians, fastest and slowest in ms, and the ratio of the medians.
#
# The sidecar runs with --liveness off --archiving off so that both read every file at every
# scrape: the synthetic pids are not running processes, and judging them dead would drop or
# archive files Python still reads.
#
# Usage: Scripts/benchmark-sidecar.sh [ROUNDS_AT_100 [ROUNDS_AT_1000]]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds_small="${1:-15}"
rounds_large="${2:-5}"
python3 -c 'import prometheus_client' 2>/dev/null || pip install --quiet 'prometheus-client==0.25.0'
swift build -c release --product prometheus-multiproc >/dev/null
sidecar="$(swift build -c release --show-bin-path)/prometheus-multiproc"

pids=()
directory=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ -n "$directory" ]]; then rm -rf "$directory"; fi
}
trap cleanup EXIT

printf '%-34s %10s %10s %10s %12s\n' "scrape (ms, gzip)" median fastest slowest "body bytes"
for workers in 100 1000; do
    rounds=$([[ $workers == 100 ]] && echo "$rounds_small" || echo "$rounds_large")
    directory="$(mktemp -d)"
    python3 Scripts/make_multiproc_dir.py "$directory" "$workers" 100
    "$sidecar" serve "$directory" --listen 127.0.0.1:18441 --liveness off --archiving off >/dev/null &
    pids+=($!)
    python3 Scripts/python_benchmark.py serve "$directory" 18442 &
    pids+=($!)
    for _ in $(seq 150); do
        curl -sf -o /dev/null http://127.0.0.1:18441/metrics && curl -sf -o /dev/null --max-time 120 \
            http://127.0.0.1:18442/metrics && break
        sleep 0.2
    done
    python3 Scripts/python_benchmark.py scrape "$rounds" "sidecar_${workers}=http://127.0.0.1:18441/metrics" \
        "python_${workers}=http://127.0.0.1:18442/metrics" |
        awk -F'\t' -v workers="$workers" -v rounds="$rounds" '
            { printf "%-34s %10.2f %10.2f %10.2f %12d\n", $1, $2, $3, $4, $5; m[NR] = $2 }
            END { if (m[1] > 0) printf "%-34s %10.1fx  (%d workers x 100 series, %d rounds)\n",
                  "python/sidecar (medians)", m[2] / m[1], workers, rounds }'
    cleanup
    pids=()
    directory=""
done

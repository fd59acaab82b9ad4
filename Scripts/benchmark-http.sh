#!/usr/bin/env bash
# Measures /metrics requests per second with wrk for a registry of 1000 counter series (10 families
# of 100 labelled children), served by this package's built-in server and by the Python client's
# start_http_server, in the same run, and prints both numbers and the ratio.
#
#   bash Scripts/benchmark-http.sh                  # 10 s per server, 2 threads, 16 connections
#   DURATION=30 CONNECTIONS=32 bash Scripts/benchmark-http.sh
#
# Needs wrk and python3 with prometheus_client (Scripts/test.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
FAMILIES=10
CHILDREN=100

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
python3 -c 'import prometheus_client' 2>/dev/null || { echo "python3 prometheus_client is not installed" >&2; exit 1; }

echo "==> Building http-benchmark-server (release)"
swift build -c release --product http-benchmark-server >/dev/null
SWIFT_SERVER="$(swift build -c release --show-bin-path)/http-benchmark-server"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() {  # URL
    for _ in $(seq 1 100); do
        if curl -sf -o /dev/null "$1"; then return 0; fi
        sleep 0.1
    done
    echo "server at $1 did not come up" >&2
    exit 1
}

series_count() {  # URL -> number of non-comment sample lines, excluding _created
    curl -s "$1" | grep -v '^#' | grep -vc '_created'
}

run_wrk() {  # URL -> requests/sec
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$1" | awk '/Requests\/sec/ {print $2}'
}

SWIFT_PORT=$(free_port)
"$SWIFT_SERVER" --port "$SWIFT_PORT" --families "$FAMILIES" --children "$CHILDREN" &
PIDS+=($!)

PYTHON_PORT=$(free_port)
python3 - "$PYTHON_PORT" "$FAMILIES" "$CHILDREN" <<'PY' &
import sys, time
from prometheus_client import CollectorRegistry, Counter, start_http_server
port, families, children = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
registry = CollectorRegistry()
for f in range(families):
    counter = Counter(f"bench_family_{f}", f"Benchmark family {f}", ["id"], registry=registry)
    for c in range(children):
        counter.labels(id=str(c)).inc(c + 1)
start_http_server(port, addr="127.0.0.1", registry=registry)
while True:
    time.sleep(3600)
PY
PIDS+=($!)

wait_for "http://127.0.0.1:$SWIFT_PORT/metrics"
wait_for "http://127.0.0.1:$PYTHON_PORT/metrics"
echo "==> Series served: swift=$(series_count "http://127.0.0.1:$SWIFT_PORT/metrics")" \
    "python=$(series_count "http://127.0.0.1:$PYTHON_PORT/metrics")"
echo "==> Body bytes: swift=$(curl -s "http://127.0.0.1:$SWIFT_PORT/metrics" | wc -c)" \
    "python=$(curl -s "http://127.0.0.1:$PYTHON_PORT/metrics" | wc -c)"

echo "==> wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s against each server"
SWIFT_RPS=$(run_wrk "http://127.0.0.1:$SWIFT_PORT/metrics")
PYTHON_RPS=$(run_wrk "http://127.0.0.1:$PYTHON_PORT/metrics")
SWIFT_GZIP_RPS=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$SWIFT_PORT/metrics" | awk '/Requests\/sec/ {print $2}')
PYTHON_GZIP_RPS=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$PYTHON_PORT/metrics" | awk '/Requests\/sec/ {print $2}')

printf '\n%-34s %12s %12s %8s\n' "scenario" "swift req/s" "python req/s" "ratio"
printf '%-34s %12s %12s %7.1fx\n' "GET /metrics (identity)" "$SWIFT_RPS" "$PYTHON_RPS" \
    "$(python3 -c "print($SWIFT_RPS / max($PYTHON_RPS, 0.001))")"
printf '%-34s %12s %12s %7.1fx\n' "GET /metrics (Accept-Encoding: gzip)" "$SWIFT_GZIP_RPS" "$PYTHON_GZIP_RPS" \
    "$(python3 -c "print($SWIFT_GZIP_RPS / max($PYTHON_GZIP_RPS, 0.001))")"

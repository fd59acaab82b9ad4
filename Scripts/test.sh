#!/usr/bin/env bash
# Installs what the tests need when it is missing, then builds and runs every check.
#
#   bash Scripts/test.sh            # everything
#   bash Scripts/test.sh --filter X # only tests matching X (passed to `swift test --filter`)
#
# Under CI (CI=true) a tool that cannot be installed is a failure; the tests that need it fail too.
# The doc-snippet check compiles the Vapor, Hummingbird and SwiftNIO examples against those packages
# (several minutes); DOC_SNIPPETS_FRAMEWORKS=0 skips that part locally.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

install_system_packages() {
    local missing=()
    command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
    command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
    command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
    [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    log "Installing system packages: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_client() {
    if python3 -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("prometheus_client") == "0.25.0" else 1)' \
        >/dev/null 2>&1; then
        return 0
    fi
    log "Installing prometheus-client==0.25.0 for python3"
    python3 -m pip install --quiet --disable-pip-version-check prometheus-client==0.25.0 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages prometheus-client==0.25.0
}

install_gunicorn() {
    if python3 -c 'import gunicorn' >/dev/null 2>&1; then
        return 0
    fi
    log "Installing gunicorn for python3 (the Python-fleet sidecar tests)"
    python3 -m pip install --quiet --disable-pip-version-check gunicorn \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages gunicorn
}

# The interop suites run a second time against the Python client 0.26.0, from a virtualenv kept
# outside the repository (the system python3 keeps 0.25.0).
python026="${PROMETHEUS_PYTHON_026_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-client-swift/python-0.26.0}"

install_python_026() {
    if "$python026/bin/python" -c 'import gunicorn, importlib.metadata as m, sys; sys.exit(0 if m.version("prometheus_client") == "0.26.0" else 1)' \
        >/dev/null 2>&1; then
        return 0
    fi
    log "Installing prometheus-client==0.26.0 and gunicorn into $python026"
    if ! python3 -m venv "$python026" >/dev/null 2>&1; then
        local sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
        rm -rf "$python026"
        python3 -m venv "$python026"
    fi
    "$python026/bin/pip" install --quiet --disable-pip-version-check prometheus-client==0.26.0 gunicorn
}

# The two builds the end of the run needs besides the package's own (the framework snippets' package,
# which compiles Vapor, Hummingbird and swift-metrics, and the fuzz target) start now, in the
# background under SCHED_IDLE: they take the processor time the installs, builds and tests leave
# idle (the tests mostly wait on processes and sockets), not time from them. (`nice` would not do:
# the build system runs its compilers at the default priority again; a scheduling policy stays.)
background_work=""
background_pid=""
if [ $# -eq 0 ] && [ "${DOC_SNIPPETS_FRAMEWORKS:-1}" = "1" ]; then
    background_work="$(mktemp -d)"
    (
        chrt --idle 0 python3 Scripts/check_doc_snippets.py --prepare-frameworks --work "$background_work/snippets" \
            >"$background_work/snippets.log" 2>&1 || true
        chrt --idle 0 bash Scripts/fuzz.sh --build-only >"$background_work/fuzz.log" 2>&1 || true
    ) &
    background_pid=$!
    # On the way out (a failure before they are waited for), the background builds are stopped:
    # every process of theirs names the work directory on its command line.
    trap '[ -n "$background_pid" ] && { kill "$background_pid"; pkill -f "$background_work"; sleep 1; } 2>/dev/null
          rm -rf "$background_work" 2>/dev/null || true' EXIT
fi

install_system_packages
install_python_client
install_gunicorn
install_python_026

for tool in promtool prometheus prometheus-pushgateway wrk openssl curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing tool after install: $tool" >&2; exit 1; }
done
python3 -c 'import prometheus_client' || { echo "prometheus_client is not importable" >&2; exit 1; }
python3 -c 'import gunicorn' || { echo "gunicorn is not importable" >&2; exit 1; }
"$python026/bin/python" -c 'import gunicorn, prometheus_client' \
    || { echo "the Python 0.26.0 virtualenv ($python026) is not usable" >&2; exit 1; }
[ -f /usr/include/openssl/ssl.h ] || { echo "OpenSSL headers (libssl-dev) are missing" >&2; exit 1; }

log "Toolchain"
swift --version

log "Lint (swift format lint)"
swift format lint --strict -r Sources Tests Package.swift

log "Build (debug, warnings are errors for our code)"
build_log=$(mktemp)
# With the index store: on Linux, XCTest discovery reads it, and the build fails without it.
swift build --build-tests 2>&1 | tee "$build_log"
if grep -E ': warning:' "$build_log" >/dev/null; then
    echo "the build produced warnings (see above)" >&2
    exit 1
fi

log "Build (release test worker: the scrape-allocation test counts what optimised code allocates)"
swift build -c release --product PrometheusTestWorker

log "Tests"
if [ $# -eq 0 ]; then
    # The connection-flood suite opens 5,000 sockets in the test runner; Foundation's Process.run,
    # which other suites call to spawn tools, crashed beside it (a bad pointer in its descriptor
    # handling). It runs alone, after the rest.
    swift test --skip-build --skip ConnectionFloodTests
    log "Tests: the connection flood, alone"
    swift test --skip-build --filter ConnectionFloodTests
    log "Tests again, against the Python client 0.26.0 (writers, masters, parsers, the sidecar)"
    PROMETHEUS_PYTHON="$python026/bin/python" PROMETHEUS_PYTHON_CLIENT=0.26.0 \
        swift test --skip-build --skip ConnectionFloodTests
else
    swift test --skip-build "$@"
fi

if [ $# -eq 0 ]; then
    log "Doc snippets: every Swift snippet of README.md and docs/ compiles"
    if [ -n "$background_pid" ]; then
        log "Waiting for the background builds (framework snippets, fuzz target)"
        wait "$background_pid" || true
        background_pid=""
        tail -n 3 "$background_work/snippets.log" "$background_work/fuzz.log" || true
        python3 Scripts/check_doc_snippets.py --frameworks --work "$background_work/snippets"
    elif [ "${DOC_SNIPPETS_FRAMEWORKS:-1}" = "1" ]; then
        python3 Scripts/check_doc_snippets.py --frameworks
    else
        python3 Scripts/check_doc_snippets.py
    fi

    log "Fuzzing the parsers and the .db reader (libFuzzer, ${FUZZ_SECONDS:-60} s)"
    bash Scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi

#!/usr/bin/env bash
# Fuzzes the text, OpenMetrics and protobuf parsers and the .db file reader with libFuzzer, for a
# bounded time.
#
#   bash Scripts/fuzz.sh [seconds]     (default 60)
#   bash Scripts/fuzz.sh --build-only  (builds the fuzz target and stops)
#
# Starts from the committed seed corpus (Tests/FuzzCorpus/inputs) in a scratch copy, so new inputs do
# not land in the repository. A crash, a hang (over 10 s per input) or memory over 2 GiB fails the
# run; libFuzzer writes the input to crash-*/timeout-*/oom-* in the current directory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

swift build --product PrometheusFuzz -c debug --scratch-path .build-fuzz --disable-index-store \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -parse-as-library
[ "$seconds" = --build-only ] && exit 0
binary=".build-fuzz/debug/PrometheusFuzz"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp Tests/FuzzCorpus/inputs/* "$work/"
# Let libFuzzer, not Swift's backtracer, handle crashes so that it saves the crashing input.
SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=8192 \
    -print_final_stats=1 "$work"

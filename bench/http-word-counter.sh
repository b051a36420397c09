#!/usr/bin/env bash
# Throughput and latency of word-counter's POST /run through real HTTP on loopback, every
# node isolated in its own wasm instance. Prints wrk's latency distribution, runs/s and the
# engine's RSS (idle and after the load), for docs/benchmarks.md.
#
# Usage: bench/http-word-counter.sh [duration=10s] [connections=8]
# Needs: wrk (Debian package `wrk`; installed here when missing and running as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
duration="${1:-10s}"
conns="${2:-8}"
port="${TENTACULAR_BENCH_PORT:-18080}"

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -p tentacular-engine --bin tentacular-engine >&2
engine="${CARGO_TARGET_DIR:-target}/release/tentacular-engine"
cache=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$cache" "$lua"' EXIT
TENTACULAR_CACHE_DIR="$cache" RUST_LOG=warn "$engine" --workflow example-workflows/word-counter --port "$port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "localhost:$port/health" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "localhost:$port/run" -d '{}' | grep -q '"success": true' || { echo "word-counter /run did not succeed" >&2; exit 1; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
idle=$(rss)
lua=$(mktemp)
printf 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n' > "$lua"
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "engine RSS idle (warm, after one run): ${idle} KiB"
wrk -t1 -c"$conns" -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port/run"
echo "engine RSS after load: $(rss) KiB"

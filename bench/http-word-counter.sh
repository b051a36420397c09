#!/usr/bin/env bash
# word-counter's POST /run through real HTTP on loopback: tentacular-engine (every node in its
# own fresh wasm instance) side by side with bench/reference-deno (one Deno process, no
# isolation: what the original engine did), in the same run, alternating ROUNDS times.
# Prints each round (runs/s, p50, p99, server CPU per run from /proc/<pid>/stat), the ranges,
# the ratios engine / reference, and the engine's RSS idle and after the load.
#
# Usage: bench/http-word-counter.sh [duration=10s] [connections=8]
# Env:   ROUNDS (3), TENTACULAR_ENGINE (a built engine: skips the cargo build),
#        REFERENCE=0 (engine only), WORKFLOW (example-workflows/word-counter)
# Run it with no build alongside: flock /tmp/tntc-cargo.lock bench/http-word-counter.sh
# Needs: wrk (Debian package `wrk`), python3 with yaml (for the reference).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
duration="${1:-10s}"; secs="${duration%s}"
conns="${2:-8}"
rounds="${ROUNDS:-3}"
workflow="${WORKFLOW:-example-workflows/word-counter}"
port="${TENTACULAR_BENCH_PORT:-18080}"
refport=$((port + 10))

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
engine="${TENTACULAR_ENGINE:-}"
if [ -z "$engine" ]; then
  cargo build --release -p tentacular-engine --bin tentacular-engine >&2
  engine="${CARGO_TARGET_DIR:-target}/release/tentacular-engine"
fi
cache=$(mktemp -d)
pid=""; refpid=""
trap 'kill $pid $refpid 2>/dev/null || true; rm -rf "$cache"' EXIT
wait_ok() { # port
  for _ in $(seq 1 600); do curl -sf "localhost:$1/health" >/dev/null && break; sleep 0.1; done
  curl -sf -X POST "localhost:$1/run" -d '{}' | grep -q '"success": true' || { echo "/run on port $1 did not succeed" >&2; exit 1; }
}
TENTACULAR_CACHE_DIR="$cache" RUST_LOG=warn "$engine" --workflow "$workflow" --port "$port" >/dev/null 2>&1 &
pid=$!
wait_ok "$port"
if [ "${REFERENCE:-1}" != 0 ]; then
  bench/reference-deno/run.sh "$workflow" "$refport" --quiet >/dev/null 2>&1 &
  refpid=$!
  wait_ok "$refport"
fi
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workflow: $workflow; wrk -t1 -c$conns -d${secs}s per measurement, $rounds rounds alternating"
echo "engine RSS idle (warm, after one run): $(rss "$pid") KiB"
# Warm-up: one short load each (JIT, allocator, connection pools), not recorded.
bench/cpu-per-run.sh "$pid" "http://127.0.0.1:$port/run" 2 "$conns" >/dev/null
[ -n "$refpid" ] && bench/cpu-per-run.sh "$refpid" "http://127.0.0.1:$refport/run" 2 "$conns" >/dev/null
results=$(mktemp); trap 'kill $pid $refpid 2>/dev/null || true; rm -rf "$cache" "$results"' EXIT
for r in $(seq 1 "$rounds"); do
  line=$(bench/cpu-per-run.sh "$pid" "http://127.0.0.1:$port/run" "$secs" "$conns")
  echo "round $r engine     $line"; echo "engine $line" >>"$results"
  if [ -n "$refpid" ]; then
    line=$(bench/cpu-per-run.sh "$refpid" "http://127.0.0.1:$refport/run" "$secs" "$conns")
    echo "round $r reference  $line"; echo "reference $line" >>"$results"
  fi
done
echo "engine RSS after load: $(rss "$pid") KiB"
[ -n "$refpid" ] && echo "reference RSS after load: $(rss "$refpid") KiB"
# Ranges per server, and ratios engine / reference per round (same round = same conditions).
awk '
  { who = $1; i = ++n[who]; rps[who, i] = $3; p50[who, i] = $5; p99[who, i] = $7; cpu[who, i] = $9 }
  function range(a, who,   i, lo, hi) { lo = hi = a[who, 1]; for (i = 2; i <= n[who]; i++) { if (a[who, i] < lo) lo = a[who, i]; if (a[who, i] > hi) hi = a[who, i] } return sprintf("%.0f-%.0f", lo, hi) }
  function ratio(a,   i, x, lo, hi) { for (i = 1; i <= n["engine"]; i++) { x = a["engine", i] / a["reference", i]; if (i == 1 || x < lo) lo = x; if (i == 1 || x > hi) hi = x } return sprintf("%.2f-%.2fx", lo, hi) }
  END {
    for (who in n) printf "%-10s runs/s %s  p50 %s us  p99 %s us  CPU per run %s us\n", who, range(rps, who), range(p50, who), range(p99, who), range(cpu, who)
    if (n["reference"] > 0) printf "engine / reference (per round): runs/s %s  p50 %s  CPU per run %s\n", ratio(rps), ratio(p50), ratio(cpu)
  }' "$results"

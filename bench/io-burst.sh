#!/usr/bin/env bash
# Capacity under I/O waits (issue 15): a one-node workflow whose node waits on a loopback
# dependency that answers every request after 200 ms (`ctx.fetch("slow", "http://127.0.0.1:<port>/sleep")`,
# the legacy form, so the original engine runs it unchanged), loaded with `wrk -t2` on
# `POST /run` at 200, 1,000 and 5,000 concurrent clients. Prints, per level: runs/s (2xx
# answers per second), 429 and 5xx answers, socket errors and timeouts, p50/p99 latency and
# the peak RSS of the server during that level (VmHWM, reset before each level) and its peak
# PSS (sampled each second: shared pages counted once, as the cgroup counts them) — for the
# engine and, when bench/reference-deno/ is present, for the reference Deno server running
# the same node file without isolation, in the same run.
#
# Usage: bench/io-burst.sh [duration=8s] [levels="200 1000 5000"]
# Env:   ENGINE=<path> and SLOW_SERVER=<path> use prebuilt binaries (else cargo builds both,
#        release); ENGINE_ARGS="--max-in-flight 2000" adds engine flags; REFERENCE=0 skips
#        the reference; DEPENDENCY_DELAY_MS (default 200).
# Needs: wrk (Debian package `wrk`; installed here when missing and running as root).
# Under the cargo lock (no build alongside): build first, then
#   flock /tmp/tntc-cargo.lock env ENGINE=… SLOW_SERVER=… bench/io-burst.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
duration="${1:-8s}"
levels="${2:-200 1000 5000}"
delay="${DEPENDENCY_DELAY_MS:-200}"
port="${TENTACULAR_BENCH_PORT:-18090}"

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
# 5,000 clients need 5,000 sockets in wrk and in the server, plus the dependency's.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

target="${CARGO_TARGET_DIR:-target}"
if [ -z "${ENGINE:-}" ] || [ -z "${SLOW_SERVER:-}" ]; then
  cargo build --release -p tentacular-engine --bin tentacular-engine --example slow_server >&2
fi
engine="${ENGINE:-$target/release/tentacular-engine}"
slow="${SLOW_SERVER:-$target/release/examples/slow_server}"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The dependency.
"$slow" 0 "$delay" > "$work/slow.out" &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/slow.out" 2>/dev/null && break; sleep 0.05; done
dep_port=$(awk '/listening/ {print $2}' "$work/slow.out")

# The workflow: one node, one declared loopback dependency.
wf="$work/io-burst"
mkdir -p "$wf/nodes"
cat > "$wf/workflow.yaml" <<EOF
name: io-burst
version: "1.0"
description: One node that waits ${delay} ms on a loopback dependency.
triggers:
  - type: manual
nodes:
  wait:
    path: ./nodes/wait.ts
    description: Fetch the slow dependency once and return its status.
    uses: [slow]
edges: []
config:
  timeout: 30s
  retries: 0
contract:
  version: "1"
  dependencies:
    slow:
      protocol: http
      host: 127.0.0.1
      port: ${dep_port}
EOF
cat > "$wf/nodes/wait.ts" <<EOF
export default async function run(ctx: any, _input: unknown) {
  const res = await ctx.fetch("slow", "http://127.0.0.1:${dep_port}/sleep");
  return { status: res.status, body: await res.text() };
}
EOF

lua="$work/status.lua"
cat > "$lua" <<'EOF'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; r429 = 0; r5xx = 0; other = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 429 then r429 = r429 + 1
  elseif status >= 500 then r5xx = r5xx + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, b, c, d = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("ok"); b = b + t:get("r429"); c = c + t:get("r5xx"); d = d + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.duration, a, b, c, d,
    e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
EOF

wait_health() {
  for _ in $(seq 1 600); do curl -sf "localhost:$1/health" >/dev/null && return 0; sleep 0.1; done
  echo "server on port $1 did not become healthy" >&2; return 1
}

# measure <label> <pid> <url>: one wrk run per level, printing one table row each.
measure() {
  local label=$1 pid=$2 url=$3
  for c in $levels; do
    echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true   # reset VmHWM
    wrk -t2 -c"$c" -d"$duration" --timeout 10s -s "$lua" "$url" > "$work/wrk.out" 2>&1 &
    local wpid=$! pss=0 p
    # PSS counts a page mapped by many instances (their shared, read-only image pages) once,
    # as the cgroup does; RSS counts it once per instance. Sampled each second.
    while kill -0 "$wpid" 2>/dev/null; do
      p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
      [ "${p:-0}" -gt "$pss" ] && pss=$p
      sleep 1
    done
    wait "$wpid" || true
    local out hwm
    out=$(grep '^RESULT' "$work/wrk.out" || true)
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    if [ -z "$out" ]; then
      printf '%-10s %6s  wrk failed\n' "$label" "$c"
      continue
    fi
    # shellcheck disable=SC2086
    set -- $out
    awk -v label="$label" -v c="$c" -v dur="$2" -v ok="$3" -v r429="$4" -v r5xx="$5" -v other="$6" \
        -v sock="$7" -v tmo="$8" -v p50="$9" -v p99="${10}" -v hwm="$hwm" -v pss="$pss" 'BEGIN {
      printf "%-10s %6d %9.0f %8d %9d %6d %6d %7d %6d %8.0f %8.0f %8.1f %8.1f\n", label, c, ok / (dur / 1e6),
        ok, r429, r5xx, other, sock, tmo, p50 / 1000, p99 / 1000, hwm / 1024, pss / 1024 }'
    sleep 2   # let connections close before the next level
  done
}

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); dependency delay ${delay} ms; wrk -t2 -d${duration}"
printf '%-10s %6s %9s %8s %9s %6s %6s %7s %6s %8s %8s %8s %8s\n' server clients runs/s 2xx 429 5xx other sockerr tmout p50ms p99ms rssMiB pssMiB

# The engine, with its snapshot cache warm (as a pod after its first start; a cold start
# compiles in process, and the compiler's high-water mark would show as the idle RSS).
cache="$work/cache"
TENTACULAR_CACHE_DIR="$cache" RUST_LOG=warn "$engine" run --workflow "$wf" > /dev/null 2>&1 || { echo "the io-burst workflow does not run:" >&2; TENTACULAR_CACHE_DIR="$cache" "$engine" run --workflow "$wf" >&2; exit 1; }
# shellcheck disable=SC2086
TENTACULAR_CACHE_DIR="$cache" RUST_LOG=warn "$engine" --workflow "$wf" --port "$port" --bind 127.0.0.1 ${ENGINE_ARGS:-} > "$work/engine.log" 2>&1 &
epid=$!
pids+=("$epid")
wait_health "$port"
curl -sf -X POST "localhost:$port/run" -d '{}' | grep -q '"success": true' || { echo "the io-burst workflow did not succeed:" >&2; curl -s -X POST "localhost:$port/run" -d '{}' >&2; exit 1; }
echo "engine idle RSS: $(awk '/VmRSS/ {print $2}' "/proc/$epid/status") KiB; args: ${ENGINE_ARGS:-(defaults)}"
measure engine "$epid" "http://127.0.0.1:$port/run"
sleep 3
echo "engine RSS after the load, idle: $(awk '/VmRSS/ {print $2}' "/proc/$epid/status") KiB"
curl -s "localhost:$port/metrics" | grep -E '^tentacular_(instances|runs_(in_flight|max_in_flight|rejected|waiting|max_waiting)|memory)|^process_resident' || true
kill "$epid"; wait "$epid" 2>/dev/null || true

# The reference: the same node file in one Deno process, no isolation (bench/reference-deno/).
if [ "${REFERENCE:-1}" != 0 ] && [ -x bench/reference-deno/run.sh ]; then
  rport=$((port + 1))
  bench/reference-deno/run.sh "$wf" "$rport" --quiet > "$work/reference.log" 2>&1 &
  rpid=$!
  pids+=("$rpid")
  wait_health "$rport"
  # run.sh may exec deno or start it as a child: measure the process that listens.
  lpid=$(ss -Hltnp "sport = :$rport" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  measure reference "${lpid:-$rpid}" "http://127.0.0.1:$rport/run"
elif [ "${REFERENCE:-1}" != 0 ]; then
  echo "(bench/reference-deno/run.sh not found: no reference row)"
fi

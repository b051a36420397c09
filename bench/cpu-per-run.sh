#!/usr/bin/env bash
# Loads a running server with wrk and prints throughput, latency and the server's CPU per run,
# read from /proc/<pid>/stat around the load: a figure that holds on a shared, noisy machine
# better than runs/s alone (the load generator shares the cores).
#   bench/cpu-per-run.sh PID URL [SECONDS=8] [CONNECTIONS=8] [BODY={}]
# Prints one line: runs/s N  p50_us N  p99_us N  cpu_us N  runs N  non2xx N
# Needs wrk (Debian package `wrk`).
set -euo pipefail
pid=$1; url=$2; secs=${3:-8}; conns=${4:-8}; body=${5:-'{}'}
command -v wrk >/dev/null || { echo "cpu-per-run: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
lua=$(mktemp --suffix=.lua); trap 'rm -f "$lua"' EXIT
printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$body" >"$lua"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" 2>/dev/null)
t1=$(ticks)
echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '
  function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
  /requests in/ {n = $1} /Requests\/sec/ {r = $2} /^ +50%/ {p50 = us($2)} /^ +99%/ {p99 = us($2)} /Non-2xx/ {bad = $5}
  END {printf "runs/s %.0f  p50_us %.0f  p99_us %.0f  cpu_us %.1f  runs %d  non2xx %d\n", r, p50, p99, (t1 - t0) / hz / n * 1e6, n, bad}'

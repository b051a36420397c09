#!/usr/bin/env bash
# The engine image, measured: its size for a glibc and a static (musl) engine, and
# word-counter's POST /run throughput of each engine natively, in a container under runc,
# and under gVisor (runsc), all on loopback. For docs/benchmarks.md and deploy/image/.
#
# Usage: bench/image-word-counter.sh [duration=10s] [connections=8]
#        TNTC, GLIBC_ENGINE, MUSL_ENGINE: binaries to use instead of building them
# Needs: wrk, podman, runc, runsc, umoci (Debian packages; installed here when missing and
# running as root), the musl target (rustup target add x86_64-unknown-linux-musl) and
# musl-tools. Builds both release engines (several minutes each, cold).
#
# The glibc base is made from this host's own libraries (the loader, libc, libm, libgcc_s),
# which is what gcr.io/distroless/cc-debian12 holds besides CA certificates and tzdata; the
# static engine goes on `scratch`. Containers use the host network (runsc --network=host)
# so that wrk can reach them; everything else is as in a pod: uid 65534, read-only root,
# /tmp a tmpfs, the workflow mounted read-only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
duration="${1:-10s}"
conns="${2:-8}"
port="${TENTACULAR_BENCH_PORT:-18090}"
cargo=${CARGO:-cargo}
target="${CARGO_TARGET_DIR:-target}"

for t in wrk podman runc runsc umoci musl-gcc; do
  command -v "$t" >/dev/null && continue
  [ "$(id -u)" = 0 ] || { echo "install $t" >&2; exit 1; }
  pkg=$t
  if [ "$t" = musl-gcc ]; then pkg="musl-tools"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
rustup target add x86_64-unknown-linux-musl >/dev/null
# TNTC: a tntc to assemble the images with (by default, a release build).
if [ -z "${TNTC:-}" ]; then "$cargo" build --release -p tntc >&2; fi
tntc="${TNTC:-$target/release/tntc}"
# GLIBC_ENGINE, MUSL_ENGINE: release engines already built (by default, built here).
if [ -z "${GLIBC_ENGINE:-}" ]; then "$cargo" build --release -p tentacular-engine --bin tentacular-engine >&2; fi
if [ -z "${MUSL_ENGINE:-}" ]; then
  "$cargo" build --release -p tentacular-engine --bin tentacular-engine --target x86_64-unknown-linux-musl >&2
fi
glibc="${GLIBC_ENGINE:-$target/release/tentacular-engine}"
musl="${MUSL_ENGINE:-$target/x86_64-unknown-linux-musl/release/tentacular-engine}"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pm rm -af >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
pm() {
  podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" \
    --storage-driver overlay --cgroup-manager cgroupfs --events-backend file "$@"
}
cp -r example-workflows/word-counter "$work/wf"
lua="$work/post.lua"
printf 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n' > "$lua"

# The glibc base: an OCI layout with the host's loader and the libraries the engine needs.
umoci init --layout "$work/base" >/dev/null
umoci new --image "$work/base:base" >/dev/null
umoci unpack --image "$work/base:base" "$work/bundle" >/dev/null
interp=$(readelf -l "$glibc" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
mkdir -p "$work/bundle/rootfs/lib64" "$work/bundle/rootfs/lib/x86_64-linux-gnu" "$work/bundle/rootfs/tmp"
chmod 1777 "$work/bundle/rootfs/tmp"
cp -L "$interp" "$work/bundle/rootfs$interp"
for lib in $(readelf -d "$glibc" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  cp -L "/lib/x86_64-linux-gnu/$lib" "$work/bundle/rootfs/lib/x86_64-linux-gnu/"
done
umoci repack --image "$work/base:base" "$work/bundle" >/dev/null

wait_ready() {
  for _ in $(seq 1 600); do curl -sf "localhost:$port/health" >/dev/null && return 0; sleep 0.1; done
  echo "the engine did not become ready on :$port" >&2; return 1
}
measure() { # label
  wait_ready
  curl -sf -X POST "localhost:$port/run" -d '{}' | grep -q '"success": true' || { echo "$1: /run failed" >&2; exit 1; }
  local out
  out=$(wrk -t1 -c"$conns" -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port/run")
  printf '%-28s %10s runs/s   p50 %-9s p99 %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wrk -t1 -c$conns -d$duration, POST /run {} to word-counter"
for variant in glibc musl; do
  engine=$glibc; [ "$variant" = musl ] && engine=$musl
  base="oci-dir:$work/base"; [ "$variant" = musl ] && base=scratch
  strip -o "$work/engine-$variant" "$engine"
  for e in "$engine" "$work/engine-$variant"; do
    json=$("$tntc" -o json build --engine "$e" --base "$base" -t "localhost/tentacular-engine:$variant" \
      --dest "docker-archive:$work/$variant.tar")
    size=$(sed -n 's/.*"size": \([0-9]*\).*/\1/p' <<<"$json" | head -1)
    what=unstripped; [ "$e" != "$engine" ] && what=stripped
    printf 'image %-5s %-10s engine %6.1f MiB   image %5.1f MiB (compressed, base included)\n' "$variant" "$what" \
      "$(echo "$(stat -c %s "$e") / 1048576" | bc -l)" "$(echo "$size / 1048576" | bc -l)"
  done
  pm load -q -i "$work/$variant.tar" >/dev/null

  cache=$(mktemp -d -p "$work")
  TENTACULAR_CACHE_DIR="$cache" RUST_LOG=warn "$work/engine-$variant" --workflow "$work/wf" --port "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
  pids+=($!)
  measure "$variant native"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

  for runtime in runc runsc; do
    flags=(--runtime "$runtime"); [ "$runtime" = runsc ] && flags+=(--runtime-flag network=host)
    pm "${flags[@]}" run -d --name bench --network host --read-only --user 65534:65534 --cap-drop ALL \
      --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 -e RUST_LOG=warn \
      -v "$work/wf:/app/workflow:ro" "localhost/tentacular-engine:$variant" \
      --workflow /app/workflow --port "$port" --bind 127.0.0.1 >/dev/null
    measure "$variant in podman/$runtime"
    pm rm -f bench >/dev/null
  done
done

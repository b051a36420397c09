#!/usr/bin/env bash
# Builds the test control plane once per machine into
#   ${TENTACULAR_TESTENV_CACHE:-~/.cache/tentacular/testenv}/<k8s version>/bin/
# - kube-apiserver from the k8s.io/kubernetes module pinned in go.mod
# - etcd: Debian's etcd-server if present (apt-get install -y etcd-server),
#   otherwise see TENTACULAR_TESTENV_ETCD below.
# Re-running is cheap: binaries that already exist with the right version are kept.
#
# Environment:
#   TENTACULAR_TESTENV_CACHE   cache root (default ~/.cache/tentacular/testenv)
#   TENTACULAR_TESTENV_JOBS    go build -p (default: nproc)
#   TENTACULAR_TESTENV_REBUILD=1  rebuild even if the binaries exist
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v go >/dev/null || die "go is not installed (needs Go >= 1.24)"
mkdir -p "$BIN_DIR"

JOBS="${TENTACULAR_TESTENV_JOBS:-$(nproc 2>/dev/null || echo 2)}"
BUILD_DATE="1970-01-01T00:00:00Z"
MAJOR="${K8S_VERSION#v}"; MAJOR="${MAJOR%%.*}"
MINOR="${K8S_VERSION#v*.}"; MINOR="${MINOR%%.*}"

ldflags=(-s -w)
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=(
    "-X" "$pkg.gitVersion=$K8S_VERSION"
    "-X" "$pkg.gitMajor=$MAJOR"
    "-X" "$pkg.gitMinor=$MINOR"
    "-X" "$pkg.gitTreeState=clean"
    "-X" "$pkg.buildDate=$BUILD_DATE"
  )
done

# build_tool <binary name> <go package>
build_tool() {
  local name="$1" pkg="$2" out="$BIN_DIR/$1"
  if [[ -x "$out" && "${TENTACULAR_TESTENV_REBUILD:-0}" != 1 ]]; then
    log "$name already built: $out"
    return 0
  fi
  log "building $name ($pkg @ $K8S_VERSION) with -p $JOBS; a cold build takes a long while on 2 cores..."
  local start=$SECONDS
  (
    cd "$TESTENV_DIR"
    CGO_ENABLED=0 go build -p "$JOBS" -trimpath -ldflags "${ldflags[*]}" -o "$out.tmp" "$pkg"
  ) || { rm -f "$out.tmp"; die "go build of $pkg failed (see above)"; }
  mv -f "$out.tmp" "$out"
  log "built $name in $((SECONDS - start))s: $out"
}

build_tool kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver

"$BIN_DIR/kube-apiserver" --version
log "binaries are in $BIN_DIR"

#!/usr/bin/env bash
# Builds the test control plane once per machine into
#   ${TENTACULAR_TESTENV_CACHE:-~/.cache/tentacular/testenv}/<k8s version>/bin/
# - kube-apiserver from the k8s.io/kubernetes module pinned in go.mod
# - with TENTACULAR_TESTENV_KWOK=1 also kube-controller-manager and kube-scheduler
#   (same module) and kwok (sigs.k8s.io/kwok, pinned in common.sh), so that
#   Deployments get Pods that a fake node reports Running/Ready.
# - etcd from go.etcd.io/etcd/server/v3 at the version k8s.io/kubernetes itself
#   requires (go.mod), i.e. the etcd that this Kubernetes release is tested with.
#   Debian's etcd-server 3.4.23 also runs this apiserver, but lacks
#   RequestWatchProgress, so streaming lists (client-go's WatchList) are refused;
#   start.sh uses it only if TENTACULAR_TESTENV_ETCD points at it.
# Re-running is cheap: binaries that already exist are kept.
#
# Environment:
#   TENTACULAR_TESTENV_CACHE      cache root (default ~/.cache/tentacular/testenv)
#   TENTACULAR_TESTENV_JOBS       go build -p (default: nproc)
#   TENTACULAR_TESTENV_KWOK=1     also build the kwok set (see above)
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

# build_tool <binary name> <go package> (at the version go.mod selects)
build_tool() {
  local name="$1" pkg="$2" out="$BIN_DIR/$1" ver
  ver="$(cd "$TESTENV_DIR" && go list -f '{{.Module.Version}}' "$pkg")"
  if [[ -x "$out" && "${TENTACULAR_TESTENV_REBUILD:-0}" != 1 ]]; then
    log "$name already built: $out"
    return 0
  fi
  log "building $name ($pkg @ $ver) with -p $JOBS; a cold build takes a long while on 2 cores..."
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
build_tool etcd go.etcd.io/etcd/server/v3
"$BIN_DIR/etcd" --version | sed -n 1p   # sed reads to the end: `head` could SIGPIPE etcd under pipefail

if [[ "${TENTACULAR_TESTENV_KWOK:-0}" == 1 ]]; then
  build_tool kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
  build_tool kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
  if [[ -x "$BIN_DIR/kwok" && "${TENTACULAR_TESTENV_REBUILD:-0}" != 1 ]]; then
    log "kwok already built: $BIN_DIR/kwok"
  else
    # kwok has its own go.mod (newer client libraries); `go install pkg@version`
    # builds it from that module, checksum-verified, without touching ours.
    log "building kwok (sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION) with -p $JOBS..."
    start=$SECONDS
    tmpbin="$(mktemp -d)"
    (
      cd "$tmpbin"
      GOFLAGS=-buildvcs=false GOBIN="$tmpbin" CGO_ENABLED=0 \
        go install -p "$JOBS" -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
    ) || { rm -rf "$tmpbin"; die "go install of kwok failed (see above)"; }
    mv -f "$tmpbin/kwok" "$BIN_DIR/kwok"
    rm -rf "$tmpbin"
    log "built kwok in $((SECONDS - start))s: $BIN_DIR/kwok"
  fi
  # The bare kwok binary runs no lifecycle unless it is given Stage objects
  # (kwokctl normally adds them). Take kwok's own default stages from the same
  # module version: nodes become Ready, pods Running/Ready, deleted pods go away.
  if [[ ! -s "$KWOK_DIR/stages.yaml" || "${TENTACULAR_TESTENV_REBUILD:-0}" == 1 ]]; then
    moddir="$(cd /tmp && GOFLAGS=-buildvcs=false go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
    [[ -d "$moddir/kustomize/stage" ]] || die "cannot find kwok's stage configs in the module cache ($moddir)"
    mkdir -p "$KWOK_DIR"
    {
      for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
               pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        echo "---"
        cat "$moddir/kustomize/stage/$f"
      done
    } >"$KWOK_DIR/stages.yaml.tmp"
    mv -f "$KWOK_DIR/stages.yaml.tmp" "$KWOK_DIR/stages.yaml"
    log "kwok stages: $KWOK_DIR/stages.yaml"
  fi
fi

log "binaries are in $BIN_DIR"

# Shared settings for the testenv scripts. Sourced, not executed.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

TESTENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The pinned Kubernetes release is whatever go.mod requires: one source of truth.
K8S_VERSION="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 } $1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2 }' "$TESTENV_DIR/go.mod" | sed -n 1p)"
if [[ -z "$K8S_VERSION" ]]; then
  echo "testenv: cannot find the k8s.io/kubernetes version in $TESTENV_DIR/go.mod" >&2
  exit 1
fi

# kwok (fake nodes/kubelets), only used with TENTACULAR_TESTENV_KWOK=1.
KWOK_VERSION="v0.8.0"

CACHE_ROOT="${TENTACULAR_TESTENV_CACHE:-${HOME:-/root}/.cache/tentacular/testenv}"
BIN_DIR="$CACHE_ROOT/$K8S_VERSION/bin"
KWOK_DIR="$CACHE_ROOT/$K8S_VERSION/kwok"   # kwok's default Stage configs, copied at build time
STATE_DIR="${TENTACULAR_TESTENV_STATE:-$TESTENV_DIR/.state}"

# Namespace in which the `restricted` user gets its narrow Role.
RESTRICTED_NS="restricted-ns"

log() { echo "testenv: $*" >&2; }
die() { echo "testenv: ERROR: $*" >&2; exit 1; }

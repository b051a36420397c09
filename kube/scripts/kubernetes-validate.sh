#!/usr/bin/env bash
# Validates Kubernetes manifests against the upstream schemas of the pinned Kubernetes version
# with `kubernetes-validate --strict` (PyPI), installed once into a venv in the cache.
#
#   kube/scripts/kubernetes-validate.sh                 # goldens (kube/tests/golden/*.yaml) + deploy/{gvisor,rbac}/*.yaml
#   kube/scripts/kubernetes-validate.sh a.yaml b.yaml   # given files
#   tntc deploy --dry-run -o yaml DIR | kube/scripts/kubernetes-validate.sh -   # stdin
#
# Knobs: TENTACULAR_K8S_SCHEMA_VERSION (default 1.34.4, testenv's version),
#        TENTACULAR_KUBERNETES_VALIDATE_VENV (default ~/.cache/tentacular/kubernetes-validate-venv).
# Prints the venv's kubernetes-validate path on request: --print-bin.
set -euo pipefail

VERSION="${TENTACULAR_K8S_SCHEMA_VERSION:-1.34.4}"
PIN="kubernetes-validate==1.37.0"
VENV="${TENTACULAR_KUBERNETES_VALIDATE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tentacular/kubernetes-validate-venv}"
BIN="$VENV/bin/kubernetes-validate"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ! -x "$BIN" ]]; then
  echo "kubernetes-validate: installing $PIN into $VENV" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$PIN" >&2
fi
if [[ "${1:-}" == "--print-bin" ]]; then
  echo "$BIN"
  exit 0
fi

files=()
tmp=""
cleanup() { if [[ -n "$tmp" ]]; then rm -f "$tmp"; fi; }
trap cleanup EXIT
if [[ $# -eq 0 ]]; then
  files=("$HERE"/../tests/golden/*.yaml "$HERE"/../../deploy/gvisor/*.yaml "$HERE"/../../deploy/rbac/*.yaml)
else
  for f in "$@"; do
    if [[ "$f" == "-" ]]; then
      tmp="$(mktemp --suffix=.yaml)"
      cat >"$tmp"
      files+=("$tmp")
    else
      files+=("$f")
    fi
  done
fi

# --quiet prints only failures; the exit status is non-zero if any resource fails.
"$BIN" --strict --quiet --kubernetes-version "$VERSION" "${files[@]}"
echo "kubernetes-validate --strict ($VERSION): ${#files[@]} file(s) valid" >&2

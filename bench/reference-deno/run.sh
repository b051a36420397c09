#!/usr/bin/env bash
# Starts the reference server for a workflow directory in place of this shell (exec: the
# caller's $! is the Deno process, whose /proc/<pid>/stat the benches read). workflow.yaml and
# .secrets.yaml (when present) go to main.ts on stdin as JSON, converted by python3's yaml
# module; the pinned Deno (tools/deno/install.sh) runs it with read and network access.
#   bench/reference-deno/run.sh WORKFLOW_DIR [PORT=18090] [main.ts flags, e.g. --quiet]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wf="$(cd "$1" && pwd)"; port="${2:-18090}"; shift; [ $# -gt 0 ] && shift
deno="${TENTACULAR_DENO:-$("$here/../../tools/deno/install.sh")}"
input=$(python3 - "$wf" <<'PY'
import json, os, sys, yaml
wf = sys.argv[1]
def load(p):
    return (yaml.safe_load(open(p)) or {}) if os.path.exists(p) else {}
json.dump({"spec": load(os.path.join(wf, "workflow.yaml")), "secrets": load(os.path.join(wf, ".secrets.yaml"))}, sys.stdout)
PY
)
exec "$deno" run --quiet --no-prompt --config "$here/deno.json" --allow-read --allow-net \
  "$here/main.ts" --workflow "$wf" --port "$port" "$@" <<<"$input"

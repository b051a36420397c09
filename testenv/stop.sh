#!/usr/bin/env bash
# Stops what testenv/start.sh started, by the PIDs it recorded in the state dir
# (never by name). Leaves the state dir (logs, certs) for inspection unless
# --clean is given. Safe to run when nothing is running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

clean=0
case "${1:-}" in
  --clean) clean=1 ;;
  "") ;;
  *) die "usage: $0 [--clean]" ;;
esac

# stop_one <name> <binary name>
stop_one() {
  local name="$1" bin="$2" pidfile="$STATE_DIR/$1.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ ! "$pid" =~ ^[0-9]+$ ]] || [[ ! -r "/proc/$pid/cmdline" ]]; then
    log "$name (pid $pid) is not running"
    rm -f "$pidfile"
    return 0
  fi
  # Only signal the pid if it still runs the binary we started (pids get reused).
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$bin"; then
    log "pid $pid is no longer $name; leaving it alone"
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not exit after 10s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pidfile"
}

if [[ ! -d "$STATE_DIR" ]]; then
  log "nothing to stop ($STATE_DIR does not exist)"
  exit 0
fi

rm -f "$STATE_DIR/ready"
# Reverse start order: clients of the apiserver, then the apiserver, then etcd.
stop_one kwok kwok
stop_one scheduler kube-scheduler
stop_one controller-manager kube-controller-manager
stop_one apiserver kube-apiserver
stop_one etcd etcd

if ((clean)); then
  rm -rf "$STATE_DIR"
  log "removed $STATE_DIR"
else
  log "stopped; logs and certificates are left in $STATE_DIR (use --clean to remove)"
fi

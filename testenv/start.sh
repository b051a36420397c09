#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 for Tentacular's tests:
# etcd + kube-apiserver (RBAC on), with generated certificates, a service-account
# key pair and two client-certificate users:
#   admin       (group system:masters)          -> $STATE_DIR/admin.kubeconfig
#   restricted  (get/list deployments only, in
#                namespace restricted-ns)        -> $STATE_DIR/restricted.kubeconfig
#
# With TENTACULAR_TESTENV_KWOK=1 it also runs kube-controller-manager (deployment,
# replicaset, namespace, garbage-collector, serviceaccount, job, cronjob
# controllers), kube-scheduler and kwok with one fake node `kwok-node-0`, so that
# Deployments get Pods that become Running/Ready and `logs` is served (from a file).
#
# Prints the admin kubeconfig path on stdout (the only thing on stdout); all
# progress goes to stderr. Also writes $STATE_DIR/env with export lines for
# TENTACULAR_TEST_KUBECONFIG and TENTACULAR_TEST_KUBECONFIG_RESTRICTED.
# Idempotent: when the control plane recorded in the state dir is running,
# healthy and in the same mode, it only prints the path. Otherwise it starts a
# fresh cluster (the old state dir is wiped). Stop with testenv/stop.sh.
#
# Environment:
#   TENTACULAR_TESTENV_STATE          state dir (default testenv/.state)
#   TENTACULAR_TESTENV_CACHE          binary cache root (see build.sh)
#   TENTACULAR_TESTENV_ETCD           path of an etcd binary (default: cache, then PATH)
#   TENTACULAR_TESTENV_START_TIMEOUT  seconds to wait for /readyz (default 180)
#   TENTACULAR_TESTENV_APISERVER_ARGS extra kube-apiserver flags (word-split)
#   TENTACULAR_TESTENV_KWOK=1         also run controller-manager, scheduler and kwok
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

START_TIMEOUT="${TENTACULAR_TESTENV_START_TIMEOUT:-180}"
KWOK="${TENTACULAR_TESTENV_KWOK:-0}"
[[ "$KWOK" == 0 || "$KWOK" == 1 ]] || die "TENTACULAR_TESTENV_KWOK must be 0 or 1, not '$KWOK'"
MODE="$([[ "$KWOK" == 1 ]] && echo kwok || echo apiserver-only)"
PKI="$STATE_DIR/pki"
LOGS="$STATE_DIR/logs"

for tool in openssl curl base64 flock setsid $([[ "$KWOK" == 1 ]] && echo python3); do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install -y $tool)"
done

# ---------------------------------------------------------------- helpers

# is_ours <pidfile> <binary name>: the pid in the file is alive and runs that binary.
is_ours() {
  local pidfile="$1" name="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name" || return 1
}

apiserver_ready() {
  local port
  port="$(cat "$STATE_DIR/apiserver.port" 2>/dev/null)" || return 1
  [[ "$(curl -sS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$port/readyz" 2>/dev/null)" == ok ]]
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Hltn "sport = :$p" | grep -q .; then echo "$p"; return; fi
  done
  die "could not find a free port"
}

# launch <name> <logfile> <cmd...>: start detached, record pid in $STATE_DIR/<name>.pid
launch() {
  local name="$1" logfile="$2"; shift 2
  setsid "$@" >"$logfile" 2>&1 </dev/null 9>&- &
  local pid=$!
  echo "$pid" >"$STATE_DIR/$name.pid"
  sleep 0.3
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 40 "$logfile" >&2 || true
    die "$name exited right after start (log: $logfile)"
  fi
}

show_log_tail() {
  local logfile="$1"
  echo "----- last 60 lines of $logfile -----" >&2
  tail -n 60 "$logfile" >&2 || true
  echo "----- end of $logfile -----" >&2
}

# api <user> <method> <path> [json body]: prints the body, fails on HTTP >= 400
# unless the status is listed in $API_OK_EXTRA (e.g. 409).
api() {
  local user="$1" method="$2" path="$3" body="${4:-}" out code
  local port; port="$(cat "$STATE_DIR/apiserver.port")"
  out="$(mktemp)"
  code="$(curl -sS --max-time 30 -o "$out" -w '%{http_code}' -X "$method" \
    --cacert "$PKI/ca.crt" --cert "$PKI/$user.crt" --key "$PKI/$user.key" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' \
    ${body:+--data "$body"} "https://127.0.0.1:$port$path")" || { rm -f "$out"; die "curl $method $path failed"; }
  if [[ "$code" -ge 400 && " ${API_OK_EXTRA:-} " != *" $code "* ]]; then
    cat "$out" >&2; rm -f "$out"
    die "$method $path as $user returned HTTP $code"
  fi
  cat "$out"; rm -f "$out"
}

write_env() {
  local pod_log=""
  [[ "$KWOK" == 1 ]] && pod_log="$STATE_DIR/pod.log"
  cat >"$STATE_DIR/env" <<EOF
# Written by testenv/start.sh; source it to point tests at the running control plane.
export TENTACULAR_TEST_KUBECONFIG="$STATE_DIR/admin.kubeconfig"
export TENTACULAR_TEST_KUBECONFIG_RESTRICTED="$STATE_DIR/restricted.kubeconfig"
export TENTACULAR_TEST_K8S_VERSION="$K8S_VERSION"
export TENTACULAR_TEST_RESTRICTED_NAMESPACE="$RESTRICTED_NS"
# 1 when kube-controller-manager + kube-scheduler + kwok run (Pods become Running/Ready).
export TENTACULAR_TEST_KWOK="$KWOK"
# kwok mode only: kwok serves this file as the log of every container.
export TENTACULAR_TEST_POD_LOG_FILE="$pod_log"
EOF
}

# One start at a time per state dir (parallel callers wait, then find it running).
mkdir -p "$(dirname "$STATE_DIR")"
exec 9>"$STATE_DIR.lock"
flock -w 900 9 || die "another testenv/start.sh holds $STATE_DIR.lock"

# ---------------------------------------------------------------- already running?

all_running() {
  is_ours "$STATE_DIR/etcd.pid" etcd && is_ours "$STATE_DIR/apiserver.pid" kube-apiserver || return 1
  if [[ "$KWOK" == 1 ]]; then
    is_ours "$STATE_DIR/controller-manager.pid" kube-controller-manager \
      && is_ours "$STATE_DIR/scheduler.pid" kube-scheduler \
      && is_ours "$STATE_DIR/kwok.pid" kwok || return 1
  fi
}

if [[ "$(cat "$STATE_DIR/mode" 2>/dev/null)" == "$MODE" && -f "$STATE_DIR/ready" ]] \
  && all_running && apiserver_ready; then
  log "already running and healthy ($MODE; apiserver https://127.0.0.1:$(cat "$STATE_DIR/apiserver.port"))"
  write_env
  echo "$STATE_DIR/admin.kubeconfig"
  exit 0
fi

if [[ -d "$STATE_DIR" ]]; then
  if ls "$STATE_DIR"/*.pid >/dev/null 2>&1; then
    log "found a stale, unhealthy or other-mode control plane in $STATE_DIR; stopping it first"
    "$TESTENV_DIR/stop.sh" >&2 || true
  fi
  rm -rf "$STATE_DIR"
fi

# From here on a failure stops whatever this run started (logs stay in $LOGS).
started_ok=0
on_exit() {
  if [[ "$started_ok" != 1 && -d "$STATE_DIR" ]]; then
    log "start failed; stopping what this run started (logs kept in $LOGS)"
    "$TESTENV_DIR/stop.sh" >&2 || true
  fi
}
trap on_exit EXIT

# ---------------------------------------------------------------- binaries

APISERVER="$BIN_DIR/kube-apiserver"
KCM="$BIN_DIR/kube-controller-manager"
SCHEDULER="$BIN_DIR/kube-scheduler"
KWOK_BIN="$BIN_DIR/kwok"
need_build=0
[[ -x "$APISERVER" ]] || need_build=1
if [[ "$KWOK" == 1 ]]; then
  [[ -x "$KCM" && -x "$SCHEDULER" && -x "$KWOK_BIN" && -s "$KWOK_DIR/stages.yaml" ]] || need_build=1
fi
if ((need_build)); then
  log "binaries for $K8S_VERSION ($MODE) are not built yet; running build.sh (slow the first time)"
  TENTACULAR_TESTENV_KWOK="$KWOK" "$TESTENV_DIR/build.sh" >&2
fi
[[ -x "$APISERVER" ]] || die "no kube-apiserver at $APISERVER after build.sh"

ETCD="${TENTACULAR_TESTENV_ETCD:-}"
if [[ -z "$ETCD" ]]; then
  if [[ -x "$BIN_DIR/etcd" ]]; then ETCD="$BIN_DIR/etcd"
  elif command -v etcd >/dev/null; then ETCD="$(command -v etcd)"
  else die "no etcd in $BIN_DIR (run testenv/build.sh) nor on PATH"
  fi
fi
etcd_extra=()
# Test data is throw-away: skip fsync where this etcd supports it (3.5+).
if "$ETCD" --help 2>&1 | grep -q -- --unsafe-no-fsync; then etcd_extra+=(--unsafe-no-fsync); fi

mkdir -p "$PKI" "$LOGS" "$STATE_DIR/etcd-data"
chmod 700 "$STATE_DIR" "$STATE_DIR/etcd-data"
echo "$MODE" >"$STATE_DIR/mode"

# ---------------------------------------------------------------- certificates

log "generating certificates in $PKI"
(
  cd "$PKI"
  umask 077
  newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

  # ca: signs the serving certs.  client-ca: signs the client certs (--client-ca-file).
  for ca in ca client-ca; do
    newkey "$ca.key"
    openssl req -x509 -new -key "$ca.key" -sha256 -days 3650 -subj "/CN=tentacular-testenv-$ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -addext "subjectKeyIdentifier=hash" \
      -out "$ca.crt" 2>/dev/null
  done

  # issue <name> <CA> <subject> <extfile contents>
  issue() {
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$4" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
      -sha256 -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }

  server_ext() {
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "authorityKeyIdentifier=keyid" \
      "subjectAltName=$1"
  }
  client_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
authorityKeyIdentifier=keyid"

  issue apiserver ca "/CN=kube-apiserver" \
    "$(server_ext "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc")"
  issue admin client-ca "/O=system:masters/CN=admin" "$client_ext"
  issue restricted client-ca "/O=tentacular:testers/CN=restricted" "$client_ext"
  # kube-apiserver -> kubelet (kwok) client cert, and kwok's kubelet serving cert.
  issue kubelet-client client-ca "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
  issue kwok-serving ca "/CN=kwok-node-0" "$(server_ext "IP:127.0.0.1,DNS:localhost,DNS:kwok-node-0")"

  # Service-account token signing key pair.
  newkey sa.key
  openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
)

# ---------------------------------------------------------------- etcd

ETCD_PORT="$(free_port)"
ETCD_PEER_PORT="$(free_port)"
while [[ "$ETCD_PEER_PORT" == "$ETCD_PORT" ]]; do ETCD_PEER_PORT="$(free_port)"; done
echo "$ETCD_PORT" >"$STATE_DIR/etcd.port"

log "starting etcd ($("$ETCD" --version 2>/dev/null | sed -n 1p)) on 127.0.0.1:$ETCD_PORT"
launch etcd "$LOGS/etcd.log" "$ETCD" \
  --name testenv \
  --data-dir "$STATE_DIR/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state new \
  --quota-backend-bytes $((2 * 1024 * 1024 * 1024)) \
  ${etcd_extra[@]+"${etcd_extra[@]}"}

deadline=$((SECONDS + 30))
until [[ "$(curl -sS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null)" == *'"health":"true"'* ]]; do
  if ! kill -0 "$(cat "$STATE_DIR/etcd.pid")" 2>/dev/null; then
    show_log_tail "$LOGS/etcd.log"; die "etcd exited during start-up"
  fi
  if ((SECONDS > deadline)); then
    show_log_tail "$LOGS/etcd.log"; die "etcd not healthy after 30s"
  fi
  sleep 0.5
done

# ---------------------------------------------------------------- kube-apiserver

API_PORT="$(free_port)"
echo "$API_PORT" >"$STATE_DIR/apiserver.port"

# Minimal admission: keep the plugins that make the API behave like a real
# cluster for what tntc does (namespace must exist, RuntimeClass must exist for
# pods, Pod Security labels), drop the ones that need controllers we do not run.
# ServiceAccount admission needs the serviceaccount controller: kwok mode only.
ADMISSION_ENABLE="NamespaceLifecycle,RuntimeClass,PodSecurity"
ADMISSION_DISABLE="LimitRanger,TaintNodesByCondition,Priority,DefaultTolerationSeconds,DefaultStorageClass,StorageObjectInUseProtection,PersistentVolumeClaimResize,DefaultIngressClass,ResourceQuota,CertificateApproval,CertificateSigning,CertificateSubjectRestriction,ClusterTrustBundleAttest,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy"
if [[ "$KWOK" == 1 ]]; then
  ADMISSION_ENABLE="$ADMISSION_ENABLE,ServiceAccount"
else
  ADMISSION_DISABLE="ServiceAccount,$ADMISSION_DISABLE"
fi

log "starting kube-apiserver $K8S_VERSION on https://127.0.0.1:$API_PORT"
# shellcheck disable=SC2086  # extra args are word-split on purpose
launch apiserver "$LOGS/kube-apiserver.log" "$APISERVER" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --cert-dir="$PKI" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/client-ca.crt" \
  --service-account-issuer="https://kubernetes.default.svc" \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --api-audiences="https://kubernetes.default.svc" \
  --service-cluster-ip-range=10.96.0.0/24 \
  --endpoint-reconciler-type=none \
  --authorization-mode=RBAC \
  --enable-admission-plugins="$ADMISSION_ENABLE" \
  --disable-admission-plugins="$ADMISSION_DISABLE" \
  --allow-privileged=true \
  --kubelet-client-certificate="$PKI/kubelet-client.crt" \
  --kubelet-client-key="$PKI/kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --profiling=false \
  --v=1 \
  ${TENTACULAR_TESTENV_APISERVER_ARGS:-}

deadline=$((SECONDS + START_TIMEOUT))
until apiserver_ready; do
  if ! kill -0 "$(cat "$STATE_DIR/apiserver.pid")" 2>/dev/null; then
    show_log_tail "$LOGS/kube-apiserver.log"
    die "kube-apiserver exited during start-up (full log: $LOGS/kube-apiserver.log)"
  fi
  if ((SECONDS > deadline)); then
    show_log_tail "$LOGS/kube-apiserver.log"
    die "kube-apiserver not ready after ${START_TIMEOUT}s (TENTACULAR_TESTENV_START_TIMEOUT); full log: $LOGS/kube-apiserver.log"
  fi
  sleep 1
done
log "kube-apiserver is ready"

# ---------------------------------------------------------------- kubeconfigs

b64() { base64 -w0 <"$1"; }
write_kubeconfig() {
  local user="$1" ns="$2" file="$STATE_DIR/$1.kubeconfig"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tentacular-testenv
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$PKI/$user.crt")
    client-key-data: $(b64 "$PKI/$user.key")
contexts:
- name: tentacular-testenv-$user
  context:
    cluster: tentacular-testenv
    user: $user
    namespace: $ns
current-context: tentacular-testenv-$user
EOF
  chmod 600 "$file"
}
write_kubeconfig admin default
write_kubeconfig restricted "$RESTRICTED_NS"

# ---------------------------------------------------------------- restricted user's RBAC

log "creating namespace $RESTRICTED_NS with a get/list-deployments Role for user 'restricted'"
API_OK_EXTRA=409 api admin POST /api/v1/namespaces \
  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$RESTRICTED_NS\"}}" >/dev/null
API_OK_EXTRA=409 api admin POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$RESTRICTED_NS/roles" \
  '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"tentacular-restricted"},
    "rules":[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","list"]}]}' >/dev/null
API_OK_EXTRA=409 api admin POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$RESTRICTED_NS/rolebindings" \
  '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"tentacular-restricted"},
    "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"tentacular-restricted"},
    "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"restricted"}]}' >/dev/null

# ---------------------------------------------------------------- the API server's own address

# A real API server publishes where it listens in the EndpointSlice `kubernetes` of
# `default` (tntc deploy reads it for the egress rule of a `kubernetes` dependency). This one
# listens on loopback, which EndpointSlice validation refuses, so its endpoint reconciler is
# off (--endpoint-reconciler-type=none) and this stand-in slice carries 192.0.2.1 (TEST-NET-1,
# RFC 5737) on the real port: data in a NetworkPolicy, never dialled (docs/testing.md).
log "publishing the stand-in EndpointSlice default/kubernetes (192.0.2.1:$API_PORT)"
API_OK_EXTRA=409 api admin POST /apis/discovery.k8s.io/v1/namespaces/default/endpointslices \
  "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",
    \"metadata\":{\"name\":\"kubernetes\",\"labels\":{\"kubernetes.io/service-name\":\"kubernetes\",
      \"endpointslice.kubernetes.io/managed-by\":\"tentacular-testenv\"}},
    \"addressType\":\"IPv4\",
    \"endpoints\":[{\"addresses\":[\"192.0.2.1\"],\"conditions\":{\"ready\":true}}],
    \"ports\":[{\"name\":\"https\",\"port\":$API_PORT,\"protocol\":\"TCP\"}]}" >/dev/null

# ---------------------------------------------------------------- kwok mode

if [[ "$KWOK" == 1 ]]; then
  # Only the controllers tntc's objects need. No endpoints/endpointslice
  # controllers: the fake pods have no process behind them, and without
  # endpoints the apiserver's service proxy answers at once instead of dialling.
  log "starting kube-controller-manager"
  launch controller-manager "$LOGS/kube-controller-manager.log" "$KCM" \
    --kubeconfig="$STATE_DIR/admin.kubeconfig" \
    --secure-port=0 \
    --leader-elect=false \
    --controllers=deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,job-controller,cronjob-controller,ttl-after-finished-controller,pod-garbage-collector-controller,clusterrole-aggregation-controller \
    --v=1

  log "starting kube-scheduler"
  launch scheduler "$LOGS/kube-scheduler.log" "$SCHEDULER" \
    --kubeconfig="$STATE_DIR/admin.kubeconfig" \
    --secure-port=0 \
    --leader-elect=false \
    --v=1

  # kwok plays the kubelet of node kwok-node-0: node Ready, pods Running/Ready,
  # pod IPs from a loopback range (so nothing ever dials a real network), and
  # the kubelet API (logs) on 127.0.0.1:<port> serving $STATE_DIR/pod.log.
  KWOK_PORT="$(free_port)"
  echo "$KWOK_PORT" >"$STATE_DIR/kwok.port"
  # kwok reads CRI log lines: "<RFC3339Nano time> stdout|stderr F <text>".
  printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" \
    "tentacular testenv: fake container log served by kwok" >"$STATE_DIR/pod.log"
  {
    printf '%s\n' \
      "apiVersion: config.kwok.x-k8s.io/v1alpha1" \
      "kind: KwokConfiguration" \
      "options:" \
      "  enableDebuggingHandlers: true" \
      "  enableContentionProfiling: false" \
      "  enableProfilingHandler: false" \
      "  podPlayStageParallelism: 2" \
      "  nodePlayStageParallelism: 1" \
      "  nodeLeaseParallelism: 1" \
      "  podsOnNodeSyncParallelism: 1" \
      "  enablePodsOnNodeSyncListPager: true" \
      "  enablePodsOnNodeSyncStreamWatch: false" \
      "---" \
      "apiVersion: kwok.x-k8s.io/v1alpha1" \
      "kind: ClusterLogs" \
      "metadata:" \
      "  name: all-pods" \
      "spec:" \
      "  selector: {}" \
      "  logs:" \
      "  - logsFile: $STATE_DIR/pod.log" \
      "    follow: true"
    cat "$KWOK_DIR/stages.yaml"
  } >"$STATE_DIR/kwok.yaml"

  log "starting kwok $KWOK_VERSION (kubelet API on 127.0.0.1:$KWOK_PORT)"
  launch kwok "$LOGS/kwok.log" "$KWOK_BIN" \
    --kubeconfig="$STATE_DIR/admin.kubeconfig" \
    --config="$STATE_DIR/kwok.yaml" \
    --manage-nodes-with-label-selector=type=kwok \
    --cidr=127.0.100.0/24 \
    --node-ip=127.0.0.1 \
    --node-port="$KWOK_PORT" \
    --server-address="127.0.0.1:$KWOK_PORT" \
    --tls-cert-file="$PKI/kwok-serving.crt" \
    --tls-private-key-file="$PKI/kwok-serving.key"

  API_OK_EXTRA=409 api admin POST /api/v1/nodes '{"apiVersion":"v1","kind":"Node",
    "metadata":{"name":"kwok-node-0",
      "labels":{"type":"kwok","kubernetes.io/hostname":"kwok-node-0","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"},
      "annotations":{"kwok.x-k8s.io/node":"fake"}},
    "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
              "capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}' >/dev/null

  node_ready() {
    api admin GET /api/v1/nodes/kwok-node-0 | python3 -c '
import json, sys
conds = json.load(sys.stdin).get("status", {}).get("conditions", [])
sys.exit(0 if any(c["type"] == "Ready" and c["status"] == "True" for c in conds) else 1)'
  }
  deadline=$((SECONDS + 60))
  until node_ready; do
    for c in controller-manager:kube-controller-manager scheduler:kube-scheduler kwok:kwok; do
      if ! kill -0 "$(cat "$STATE_DIR/${c%%:*}.pid")" 2>/dev/null; then
        show_log_tail "$LOGS/${c#*:}.log"; die "${c#*:} exited during start-up"
      fi
    done
    if ((SECONDS > deadline)); then
      show_log_tail "$LOGS/kwok.log"; die "fake node kwok-node-0 not Ready after 60s"
    fi
    sleep 0.5
  done
  log "fake node kwok-node-0 is Ready"
fi

write_env
date -u +%FT%TZ >"$STATE_DIR/ready"
started_ok=1
log "control plane up ($MODE): etcd pid $(cat "$STATE_DIR/etcd.pid"), kube-apiserver pid $(cat "$STATE_DIR/apiserver.pid")"
log "admin kubeconfig:      $STATE_DIR/admin.kubeconfig"
log "restricted kubeconfig: $STATE_DIR/restricted.kubeconfig"
log "env for tests:         source $STATE_DIR/env"
echo "$STATE_DIR/admin.kubeconfig"

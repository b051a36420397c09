#!/usr/bin/env bash
# Checks that the control plane started by start.sh really works, with curl and
# the generated client certificates (no kubectl):
#   - admin lists namespaces, creates a Deployment and reads it back,
#     server-side apply with field manager tntc, status subresource
#   - restricted: SelfSubjectAccessReview says create=false, list=true in restricted-ns,
#     and a real create is refused with 403
#   - kwok mode: the Deployment's Pods become Running/Ready and logs are served
# Leaves a namespace `testenv-smoke-<random>` behind (deleted at the end in kwok
# mode, where the namespace controller runs). Needs python3 for JSON.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -f "$STATE_DIR/ready" ]] || die "no running control plane in $STATE_DIR (run testenv/start.sh)"
PKI="$STATE_DIR/pki"
URL="https://127.0.0.1:$(cat "$STATE_DIR/apiserver.port")"
KWOK_MODE=0
[[ "$(cat "$STATE_DIR/mode")" == kwok ]] && KWOK_MODE=1
NS="testenv-smoke-$RANDOM$RANDOM"
checks=0

ok() { checks=$((checks + 1)); log "ok: $*"; }
fail() { die "smoke check failed: $*"; }

# req <user> <method> <path> [body] [content-type] -> sets $CODE and $BODY
req() {
  local user="$1" method="$2" path="$3" body="${4:-}" ctype="${5:-application/json}" out
  out="$(mktemp)"
  CODE="$(curl -sS --max-time 30 -o "$out" -w '%{http_code}' -X "$method" \
    --cacert "$PKI/ca.crt" --cert "$PKI/$user.crt" --key "$PKI/$user.key" \
    -H "Content-Type: $ctype" -H 'Accept: application/json' \
    ${body:+--data-binary "$body"} "$URL$path")"
  BODY="$(cat "$out")"; rm -f "$out"
}
# jq-like field access with python: json_get '<python expr on d>'
json_get() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)" <<<"$BODY"; }

req admin GET /api/v1/namespaces
[[ "$CODE" == 200 ]] || fail "GET /api/v1/namespaces as admin: HTTP $CODE"
names="$(json_get '" ".join(i["metadata"]["name"] for i in d["items"])')"
[[ " $names " == *" default "* && " $names " == *" $RESTRICTED_NS "* ]] || fail "namespaces: $names"
ok "admin lists namespaces: $names"

req admin POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}"
[[ "$CODE" == 201 ]] || fail "create namespace $NS: HTTP $CODE $BODY"
ok "admin creates namespace $NS"

DEP='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"smoke","labels":{"app.kubernetes.io/name":"smoke","app.kubernetes.io/managed-by":"tentacular"}},
 "spec":{"replicas":2,"selector":{"matchLabels":{"app.kubernetes.io/name":"smoke"}},
  "template":{"metadata":{"labels":{"app.kubernetes.io/name":"smoke"}},
   "spec":{"automountServiceAccountToken":false,
    "securityContext":{"runAsNonRoot":true,"runAsUser":65534,"seccompProfile":{"type":"RuntimeDefault"}},
    "containers":[{"name":"engine","image":"example.invalid/engine:1","ports":[{"containerPort":8080}],
     "securityContext":{"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}}}'
req admin POST "/apis/apps/v1/namespaces/$NS/deployments" "$DEP"
[[ "$CODE" == 201 ]] || fail "create deployment: HTTP $CODE $BODY"
req admin GET "/apis/apps/v1/namespaces/$NS/deployments/smoke"
[[ "$CODE" == 200 ]] || fail "read deployment back: HTTP $CODE"
[[ "$(json_get 'd["metadata"]["labels"]["app.kubernetes.io/managed-by"] + " " + str(d["spec"]["template"]["spec"]["securityContext"]["runAsUser"])')" == "tentacular 65534" ]] \
  || fail "deployment read back differs: $BODY"
ok "admin creates a Deployment and reads it back"

req admin PATCH "/api/v1/namespaces/$NS/configmaps/smoke?fieldManager=tntc&force=true" \
  $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: smoke\ndata:\n  workflow.yaml: "name: smoke"\n' \
  application/apply-patch+yaml
[[ "$CODE" == 201 || "$CODE" == 200 ]] || fail "server-side apply: HTTP $CODE $BODY"
[[ "$(json_get 'd["metadata"]["managedFields"][0]["manager"]')" == tntc ]] || fail "field manager is not tntc: $BODY"
ok "server-side apply with field manager tntc"

req admin POST "/apis/apps/v1/namespaces/does-not-exist-$RANDOM/deployments" "$DEP"
[[ "$CODE" == 404 ]] || fail "create in a missing namespace should be 404, got $CODE"
ok "create in a missing namespace is refused (404)"

ssar() { # ssar <verb> -> allowed true/false for restricted on apps/deployments in restricted-ns
  req restricted POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews \
    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"namespace\":\"$RESTRICTED_NS\",\"group\":\"apps\",\"resource\":\"deployments\",\"verb\":\"$1\"}}}"
  [[ "$CODE" == 201 ]] || fail "SelfSubjectAccessReview as restricted: HTTP $CODE $BODY"
  json_get 'str(d["status"]["allowed"]).lower()'
}
[[ "$(ssar create)" == false ]] || fail "restricted may create deployments"
[[ "$(ssar list)" == true ]] || fail "restricted may not list deployments"
[[ "$(ssar get)" == true ]] || fail "restricted may not get deployments"
ok "SelfSubjectAccessReview as restricted: create deployments=false, get/list=true"

req restricted POST "/apis/apps/v1/namespaces/$RESTRICTED_NS/deployments" "$DEP"
[[ "$CODE" == 403 ]] || fail "restricted create should be 403, got $CODE"
req restricted GET "/apis/apps/v1/namespaces/$RESTRICTED_NS/deployments"
[[ "$CODE" == 200 ]] || fail "restricted list should be 200, got $CODE"
ok "restricted: create is 403, list is 200"

if ((KWOK_MODE)); then
  deadline=$((SECONDS + 90))
  while :; do
    req admin GET "/apis/apps/v1/namespaces/$NS/deployments/smoke"
    ready="$(json_get 'd.get("status", {}).get("readyReplicas", 0)')"
    [[ "$ready" == 2 ]] && break
    ((SECONDS < deadline)) || fail "Deployment not 2/2 ready after 90s: $(json_get 'd.get("status")')"
    sleep 1
  done
  ok "kwok: Deployment reached 2/2 ready replicas"

  req admin GET "/api/v1/namespaces/$NS/pods?labelSelector=app.kubernetes.io/name%3Dsmoke"
  pod="$(json_get 'd["items"][0]["metadata"]["name"]')"
  phase="$(json_get 'd["items"][0]["status"]["phase"]')"
  [[ "$phase" == Running ]] || fail "pod $pod is $phase"
  req admin GET "/api/v1/namespaces/$NS/pods/$pod/log?container=engine"
  [[ "$CODE" == 200 && "$BODY" == *"fake container log"* ]] || fail "pod logs: HTTP $CODE $BODY"
  ok "kwok: pod $pod Running, logs served through the apiserver"

  req admin DELETE "/api/v1/namespaces/$NS"
  deadline=$((SECONDS + 90))
  while :; do
    req admin GET "/api/v1/namespaces/$NS"
    [[ "$CODE" == 404 ]] && break
    ((SECONDS < deadline)) || fail "namespace $NS still there 90s after delete"
    sleep 1
  done
  ok "kwok: namespace deletion completes (namespace controller)"
fi

log "smoke: all $checks checks ok ($(cat "$STATE_DIR/mode") mode, Kubernetes $K8S_VERSION)"

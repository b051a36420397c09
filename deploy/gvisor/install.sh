#!/usr/bin/env bash
# Installs gVisor on a containerd-based Kubernetes node and registers the `runsc` handler that
# the RuntimeClass `gvisor` (deploy/gvisor/runtimeclass.yaml) points at. Run it as root on
# every node that should run workflows. Idempotent: a second run changes nothing.
#
#   deploy/gvisor/install.sh [--flavor auto|containerd|k3s|rke2|k0s] [--install auto|apt|download|skip]
#                            [--config-version 2|3] [--no-restart] [--root DIR] [--dry-run]
#
# --flavor   where this node's containerd reads its config (auto: detected):
#              containerd  /etc/containerd/config.toml (containerd 1.x and 2.x)
#              k3s, rke2   /var/lib/rancher/<k3s|rke2>/agent/etc/containerd/config.toml.tmpl
#              k0s         /etc/k0s/containerd.d/gvisor.toml
# --install  how runsc and containerd-shim-runsc-v1 get onto the node (auto: skip when both
#            are on PATH, else apt when apt-get exists, else download):
#              apt       gVisor's apt repository (https://gvisor.dev/docs/user_guide/install/)
#              download  the release binaries, checked with their published sha512 sums
#              skip      install nothing (they are already there)
# --config-version  the containerd config version to write for (2: containerd 1.x, 3: 2.x);
#               by default read from the config file (k0s: 2)
# --no-restart  do not restart containerd (k3s, rke2-server/agent, k0sworker) afterwards
# --root DIR    treat DIR as / for the config files (for tests and image builds)
# --dry-run     say what would be done, change nothing
#
# Debian's own `runsc` package has no containerd shim, so `apt` uses gVisor's repository.
set -euo pipefail

flavor=auto install=auto restart=1 root="" dry=0 config_version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --flavor) flavor="$2"; shift 2 ;;
    --install) install="$2"; shift 2 ;;
    --no-restart) restart=0; shift ;;
    --config-version) config_version="$2"; shift 2 ;;
    --root) root="${2%/}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'gvisor: %s\n' "$*"; }
die() { printf 'gvisor: error: %s\n' "$*" >&2; exit 1; }
run() { if [ "$dry" = 1 ]; then say "would run: $*"; else "$@"; fi; }

marker="# tentacular: gVisor runtime handler runsc"

# --- 1. binaries -------------------------------------------------------------------------
have_bins() { command -v runsc >/dev/null && command -v containerd-shim-runsc-v1 >/dev/null; }
if [ "$install" = auto ]; then
  if have_bins; then install=skip
  elif command -v apt-get >/dev/null; then install=apt
  else install=download; fi
fi
case "$install" in
  skip) ;;
  apt)
    say "installing runsc from gVisor's apt repository"
    run apt-get update -qq
    run apt-get install -y -qq curl gnupg ca-certificates
    if [ "$dry" = 0 ]; then
      curl -fsSL https://gvisor.dev/archive.key | gpg --dearmor --yes -o /usr/share/keyrings/gvisor-archive-keyring.gpg
      echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/gvisor-archive-keyring.gpg] https://storage.googleapis.com/gvisor/releases release main" \
        > /etc/apt/sources.list.d/gvisor.list
    fi
    run apt-get update -qq
    run apt-get install -y -qq runsc
    ;;
  download)
    arch=$(uname -m)
    url="https://storage.googleapis.com/gvisor/releases/release/latest/${arch}"
    say "downloading runsc and containerd-shim-runsc-v1 for ${arch}"
    if [ "$dry" = 0 ]; then
      tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
      (cd "$tmp"
        for f in runsc runsc.sha512 containerd-shim-runsc-v1 containerd-shim-runsc-v1.sha512; do
          curl -fsSLO "${url}/${f}"
        done
        sha512sum -c runsc.sha512 -c containerd-shim-runsc-v1.sha512
        install -m 0755 runsc containerd-shim-runsc-v1 /usr/local/bin/)
    fi
    ;;
  *) die "--install must be auto, apt, download or skip (got $install)" ;;
esac
if [ "$dry" = 0 ] && [ "$install" != skip ] && ! have_bins; then
  die "runsc or containerd-shim-runsc-v1 is still not on PATH after installing"
fi

# --- 2. containerd configuration ---------------------------------------------------------
if [ "$flavor" = auto ]; then
  if [ -d "$root/var/lib/rancher/k3s" ]; then flavor=k3s
  elif [ -d "$root/var/lib/rancher/rke2" ]; then flavor=rke2
  elif [ -d "$root/etc/k0s" ] || [ -d "$root/var/lib/k0s" ]; then flavor=k0s
  elif [ -e "$root/etc/containerd/config.toml" ] || command -v containerd >/dev/null; then flavor=containerd
  else die "no containerd found (looked for k3s, rke2, k0s and /etc/containerd); pass --flavor"; fi
fi

# The CRI plugin's table name depends on the config's version: 1 (no `version` line,
# containerd 1.0-1.2 style), 2 (containerd 1.3-1.7), 3 (containerd 2.x).
snippet() {
  local table
  case "$1" in
    1) table='plugins.cri.containerd.runtimes.runsc' ;;
    2) table='plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc' ;;
    3) table='plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc' ;;
    *) die "unknown containerd config version $1 (2 for containerd 1.x, 3 for 2.x)" ;;
  esac
  printf '\n%s\n[%s]\n  runtime_type = "io.containerd.runsc.v1"\n' "$marker" "$table"
}

config_version() { # --config-version, else the file's `version = N`, else $2
  if [ -n "$config_version" ]; then echo "$config_version"; return; fi
  local v
  v=$(sed -n 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*\([0-9]\{1,\}\).*/\1/p' "$1" 2>/dev/null | head -1)
  echo "${v:-$2}"
}

append_once() { # file, text
  if [ -f "$1" ] && grep -qF "$marker" "$1"; then say "$1 already has the runsc handler"; return 1; fi
  if [ "$dry" = 1 ]; then say "would add the runsc handler to $1"; return 0; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >> "$1"
  say "added the runsc handler to $1"
}

changed=0
case "$flavor" in
  containerd)
    cfg="$root/etc/containerd/config.toml"
    if [ ! -s "$cfg" ] && [ "$dry" = 0 ]; then
      # A node without a config runs containerd's defaults: write them out, so that adding
      # a runtime does not drop them.
      mkdir -p "$(dirname "$cfg")"
      if command -v containerd >/dev/null && [ -z "$root" ]; then
        containerd config default > "$cfg"
        say "wrote containerd's default config to $cfg"
      else
        printf 'version = %s\n' "${config_version:-2}" > "$cfg"
      fi
    fi
    append_once "$cfg" "$(snippet "$(config_version "$cfg" 1)")" && changed=1
    service=containerd
    ;;
  k3s|rke2)
    dir="$root/var/lib/rancher/$flavor/agent/etc/containerd"
    tmpl="$dir/config.toml.tmpl"
    # k3s/rke2 regenerate config.toml at start; the template replaces it, so it starts from
    # the generated file (or k3s's own base template).
    if [ ! -f "$tmpl" ] && [ "$dry" = 0 ]; then
      mkdir -p "$dir"
      if [ -f "$dir/config.toml" ]; then cp "$dir/config.toml" "$tmpl"
      else printf '{{ template "base" . }}\n' > "$tmpl"; fi
    fi
    append_once "$tmpl" "$(snippet "$(config_version "$tmpl" 2)")" && changed=1
    if [ "$flavor" = k3s ]; then service=k3s
    elif command -v systemctl >/dev/null && systemctl is-active -q rke2-server 2>/dev/null; then service=rke2-server
    else service=rke2-agent; fi
    ;;
  k0s)
    append_once "$root/etc/k0s/containerd.d/gvisor.toml" "$(snippet "${config_version:-2}")" && changed=1
    service=k0sworker
    command -v systemctl >/dev/null && systemctl is-active -q k0scontroller 2>/dev/null && service=k0scontroller
    ;;
  *) die "--flavor must be auto, containerd, k3s, rke2 or k0s (got $flavor)" ;;
esac

# --- 3. restart and check ----------------------------------------------------------------
if [ "$changed" = 1 ] && [ "$restart" = 1 ]; then
  command -v systemctl >/dev/null || die "no systemctl: restart $service yourself"
  run systemctl restart "$service"
  say "restarted $service"
fi
if [ "$dry" = 0 ] && command -v runsc >/dev/null; then say "$(runsc --version | head -1)"; fi
say "done ($flavor). Next: tntc cluster install -n <namespace> (or kubectl apply -f deploy/gvisor/runtimeclass.yaml), then kubectl apply -f deploy/gvisor/test-pod.yaml"

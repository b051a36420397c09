#!/usr/bin/env bash
# Installs the pinned Deno CLI (package.json / package-lock.json) into tools/deno/node_modules,
# without running any package script. Prints the binary's path. tntc finds it there as the
# project-local install (after --deno, $TENTACULAR_DENO and PATH).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bin=node_modules/@deno/linux-x64-glibc/deno
if [ ! -x "$bin" ] || ! "$bin" --version | grep -q "^deno $(node -p 'require("./package.json").dependencies["@deno/linux-x64-glibc"]')"; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  chmod +x "$bin"
fi
echo "$PWD/$bin"

#!/usr/bin/env bash
# Rebuilds tentacular_plugin.wasm from source, reproducibly, on a fresh Debian machine of this
# project's kind. Usage: shims/plugin/build.sh [--check]
#   --check   build into a temporary file and fail if it differs from the committed wasm.
# Needs: rustup (wasm32-wasip1 target), Debian's clang-16, lld-16, wasi-libc,
# libclang-rt-16-dev-wasm32 (installed here when missing and running as root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

need_pkgs=()
for p in clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "build.sh: installing ${need_pkgs[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "build.sh: missing Debian packages: ${need_pkgs[*]} (run: sudo apt-get install -y ${need_pkgs[*]})" >&2
    exit 1
  fi
fi
rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

# Present Debian's clang-16 and the wasi-libc sysroot as a WASI SDK, which is what
# rquickjs-sys expects (it would otherwise try to download one). Fixed path: the path ends up
# in nothing we ship, but a fixed one keeps the build identical across machines.
sdk=/tmp/tentacular-wasi-sdk
mkdir -p "$sdk/bin" "$sdk/share/wasi-sysroot"
ln -sfn /usr/bin/clang-16 "$sdk/bin/clang"
ln -sfn /usr/bin/llvm-ar-16 "$sdk/bin/ar"
ln -sfn /usr/include/wasm32-wasi "$sdk/share/wasi-sysroot/include"
ln -sfn /usr/lib/wasm32-wasi "$sdk/share/wasi-sysroot/lib"
export WASI_SDK="$sdk"
export LIBCLANG_PATH=/usr/lib/llvm-16/lib
export SOURCE_DATE_EPOCH=0
# Fixed paths in anything that records them (panic locations, debug info).
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
shims="$(dirname "$here")"
export RUSTFLAGS="--remap-path-prefix=$shims=/tentacular/shims --remap-path-prefix=$cargo_home=/cargo -C target-feature=+bulk-memory"
export CFLAGS_wasm32_wasip1="-ffile-prefix-map=$shims=/tentacular/shims -ffile-prefix-map=$cargo_home=/cargo"
export CARGO_TARGET_DIR="$here/target"

cargo build --locked --release --target wasm32-wasip1 >&2
built="$CARGO_TARGET_DIR/wasm32-wasip1/release/tentacular_plugin.wasm"

if [ "${1:-}" = "--check" ]; then
  want=$(awk '{print $1}' tentacular_plugin.wasm.sha256)
  have=$(sha256sum "$built" | awk '{print $1}')
  if [ "$want" != "$have" ]; then
    echo "build.sh: the rebuilt plugin ($have) differs from the committed one ($want)." >&2
    echo "build.sh: rebuild with shims/plugin/build.sh and commit tentacular_plugin.wasm and its .sha256." >&2
    exit 1
  fi
  echo "build.sh: rebuilt plugin matches the committed tentacular_plugin.wasm ($have)" >&2
else
  cp "$built" tentacular_plugin.wasm
  sha256sum tentacular_plugin.wasm > tentacular_plugin.wasm.sha256
  echo "build.sh: wrote $here/tentacular_plugin.wasm ($(stat -c %s tentacular_plugin.wasm) bytes)" >&2
fi

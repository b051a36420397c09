#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) on a nightly toolchain,
# without a sanitizer: the code under test is safe Rust, and the properties are assertions.
#   fuzz/run.sh [SECONDS]
# Needs: rustup with a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# The seed corpus is in fuzz/corpus/<target>; findings go to fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-60}"
for target in spec_parse url_policy address; do
  mkdir -p "corpus/$target" "work/$target"
  echo "fuzz: $target for ${seconds}s"
  cargo +nightly fuzz run --sanitizer none "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
done

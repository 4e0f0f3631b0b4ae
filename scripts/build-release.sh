#!/usr/bin/env bash
# Builds the release binaries into target/release: `gvr`, `gvr-shim-fast` (the
# libc-free front of the shims) and `gvr-shim` linked statically (no dynamic loader on
# every `go` call: about 0.6 ms saved per call on a 2-core VM, see
# scripts/bench-shim.py). Falls back to a dynamic shim where the static C library is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
locked=()
[ -f Cargo.lock ] && locked=(--locked)
cargo build --release "${locked[@]}" -p gvr --bin gvr
# Built on its own: the static, non-PIE link flags are for this binary only.
case "$(uname -s)" in
  Linux)
    if ! cargo rustc --release "${locked[@]}" -p gvr-shim --bin gvr-shim -- \
         -C target-feature=+crt-static -C relocation-model=static; then
      echo "build-release: static link of gvr-shim failed (is libc6-dev installed?); building it dynamically" >&2
      cargo build --release "${locked[@]}" -p gvr-shim
    fi ;;
  *) cargo build --release "${locked[@]}" -p gvr-shim ;;
esac
# The freestanding front of the shims (Linux x86_64/aarch64; elsewhere it is not used).
cargo build --release "${locked[@]}" -p gvr-shim-fast --features bin

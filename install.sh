#!/usr/bin/env bash
# Builds gvr and its shim from this checkout (release mode) and installs them.
set -euo pipefail

usage() {
  cat <<'TXT'
Usage: ./install.sh [--prefix DIR]

Builds `gvr` and `gvr-shim` from this checkout in release mode, installs them into
DIR/bin (default: ~/.local/bin), creates gvr's home ($GVR_HOME, default
~/.local/share/gvr) with its shims, and prints the line to add to your shell so the
shims (`go`, `gofmt`, `gopls`) come first on PATH. Safe to run again: it replaces the
binaries atomically and refreshes the shims.

Options:
  --prefix DIR   install into DIR/bin instead of ~/.local/bin
  -h, --help     show this help
TXT
}

prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# A relative --prefix means relative to where install.sh was run, not the checkout.
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "install.sh: cargo was not found on PATH." >&2
  echo "Install Rust (https://rustup.rs), open a new shell, and run ./install.sh again." >&2
  exit 1
fi

cd "$(dirname "$0")"
echo "building gvr (release)…" >&2
scripts/build-release.sh

bindir="$prefix/bin"
mkdir -p "$bindir"
bins=(gvr gvr-shim)
# The libc-free front of the shims, where it is built (Linux x86_64/aarch64).
[ -x target/release/gvr-shim-fast ] && [ "$(uname -s)" = Linux ] && bins+=(gvr-shim-fast)
for bin in "${bins[@]}"; do
  # Copy then rename: a running shim or gvr is never overwritten in place.
  install -m 0755 "target/release/$bin" "$bindir/.$bin.new"
  mv -f "$bindir/.$bin.new" "$bindir/$bin"
  echo "installed $bindir/$bin" >&2
done

"$bindir/gvr" rehash
shell_name=$(basename "${SHELL:-bash}")
case "$shell_name" in bash|zsh|fish) ;; *) shell_name=bash ;; esac
echo >&2
echo "Put gvr and its shims on PATH: add these lines to your shell's startup file" >&2
echo "(~/.bashrc, ~/.zshrc, or ~/.config/fish/config.fish):" >&2
case ":$PATH:" in *:"$bindir":*) ;; *) echo "  export PATH=\"$bindir:\$PATH\"" >&2 ;; esac
if [ "$shell_name" = fish ]; then
  echo "  $bindir/gvr init fish | source" >&2
else
  echo "  eval \"\$($bindir/gvr init $shell_name)\"" >&2
fi

#!/usr/bin/env bash
# Checks install.sh as a newcomer runs it: into a temp prefix and home, twice (it must be
# idempotent), then that the installed gvr and shims work, and that it fails clearly
# without cargo. Part of `scripts/test` (not --fast: it builds in release mode).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'check-install-sh: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# cargo (through rustup) still needs its own homes when HOME changes.
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
run_install() {
  env HOME="$work/home" GVR_HOME="$work/home/gvr" SHELL=/bin/bash ./install.sh --prefix "$work/prefix" 2>"$work/install.err" \
    || { cat "$work/install.err" >&2; die "install.sh failed"; }
}
run_install
run_install   # again: replaces the binaries and refreshes the shims
for f in prefix/bin/gvr prefix/bin/gvr-shim home/gvr/shims/go home/gvr/shims/gofmt home/gvr/shims/gopls; do
  [ -x "$work/$f" ] || die "$f is missing after install.sh"
done
grep -q "gvr init bash" "$work/install.err" || die "install.sh did not print the shell setup line"
case "$(uname -sm)" in
  "Linux x86_64"|"Linux aarch64")
    [ "$work/home/gvr/shims/go" -ef "$work/prefix/bin/gvr-shim-fast" ] \
      || die "shims/go is not the fast shim installed next to gvr" ;;
esac
[ "$("$work/prefix/bin/gvr" --version)" = "gvr $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ] \
  || die "the installed gvr reports the wrong version"

# The installed pair does its job: install from a directory mirror, run go through the shim.
mirror=$work/mirror
mkdir -p "$mirror/src/go/bin"
printf 'go1.22.6\ntime 2024-08-06T00:00:00Z\n' > "$mirror/src/go/VERSION"
printf '#!/bin/sh\necho "go version go1.22.6 linux/amd64"\n' > "$mirror/src/go/bin/go"
chmod 755 "$mirror/src/go/bin/go"
tar czf "$mirror/go1.22.6.linux-amd64.tar.gz" -C "$mirror/src" go
sha256sum "$mirror/go1.22.6.linux-amd64.tar.gz" | cut -d' ' -f1 > "$mirror/go1.22.6.linux-amd64.tar.gz.sha256"
rm -rf "$mirror/src"
# The archive is a stand-in, not Go's release: the checksum database would (rightly)
# refuse it, so this check turns the database off.
envs=(HOME="$work/home" GVR_HOME="$work/home/gvr" GVR_CACHE_DIR="$work/cache" GOSUMDB=off PATH="$work/home/gvr/shims:$work/prefix/bin:/usr/bin:/bin")
env -i "${envs[@]}" gvr install --quiet --mirror "$mirror" 1.22.6 || die "gvr install from a directory mirror failed"
env -i "${envs[@]}" gvr global 1.22.6 2>/dev/null || die "gvr global failed"
out=$(cd "$work" && env -i "${envs[@]}" go version) || die "go through the shim failed"
[ "$out" = "go version go1.22.6 linux/amd64" ] || die "go through the shim said: $out"

# Without cargo it says what to do and fails.
if env -i HOME="$work/home" PATH=/usr/bin:/bin ./install.sh --prefix "$work/p2" 2>"$work/nocargo.err"; then
  die "install.sh succeeded without cargo"
fi
grep -q "cargo was not found" "$work/nocargo.err" || die "install.sh without cargo said: $(cat "$work/nocargo.err")"
./install.sh --help | grep -q -- "--prefix" || die "install.sh --help does not document --prefix"
say "PASS"

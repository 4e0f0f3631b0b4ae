#!/usr/bin/env bash
# Real end-to-end check of gopls pinning (issue 4), with the network:
#   1. Go 1.24.11 (the toolchain module, repacked) builds the real gopls v0.20.0 through the Go module proxy
#      (`gvr gopls install`, the pin coming from the compatibility table; GOPROXY and
#      GOSUMDB are Go's defaults, so every module is checked against sum.golang.org);
#   2. `gopls version` through the shim prints it;
#   3. in a go.work workspace of three modules with cross-module imports, `gopls check`
#      through the shim reports nothing on valid files and the seeded error in a broken one;
#   4. the gopls process (started through the shim) sees the same GOROOT and GOCACHE as
#      `go env` through the go shim, no exported GOWORK (the go it runs finds the
#      workspace's go.work itself), and the SDK's bin first on PATH.
# Needs: cargo, and a real Go 1.24.11 GOROOT in GVR_TEST_GOROOT (scripts/test prepares
# one from the toolchain module; without it this script runs scripts/e2e-prepare.sh the same way).
# Usage: scripts/e2e-gopls.sh [WORKDIR]   (default: a fresh temp dir, removed on success)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
GO_VERSION=1.24.11
GOPLS_VERSION=v0.20.0

say() { printf 'e2e-gopls: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

# A real GOROOT for Go 1.24.11.
goroot=${GVR_TEST_GOROOT:-}
if [ -z "$goroot" ]; then
  e2e_dir=${GVR_E2E_DIR:-$repo/target/e2e}
  scripts/e2e-prepare.sh "$e2e_dir" "$GO_VERSION"
  goroot="$e2e_dir/goroot-$GO_VERSION"
  if [ ! -x "$goroot/bin/go" ]; then
    rm -rf "$goroot.tmp" && mkdir -p "$goroot.tmp"
    tar xzf "$e2e_dir/mirror/go$GO_VERSION.linux-amd64.tar.gz" -C "$goroot.tmp"
    mv "$goroot.tmp/go" "$goroot" && rm -rf "$goroot.tmp"
  fi
fi
[ "$(head -n1 "$goroot/VERSION")" = "go$GO_VERSION" ] || die "$goroot is not a Go $GO_VERSION GOROOT"

cargo build --workspace --bins
gvr_bin=$repo/target/debug/gvr

work=${1:-$(mktemp -d)}
keep=${1:+yes}
mkdir -p "$work"
work=$(cd "$work" && pwd)
say "working in $work"

# A clean world: nothing from the caller's Go or gvr setup leaks in.
for v in $(env | sed -n 's/^\(GO[A-Z0-9_]*\|GVR_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME=$work/home GVR_HOME=$work/gvr GVR_CACHE_DIR=$work/cache
export GOFLAGS=-modcacherw # so the temp module cache can be deleted
mkdir -p "$HOME" "$GVR_HOME/versions"
cp -a "$goroot" "$GVR_HOME/versions/$GO_VERSION"
"$gvr_bin" rehash
export PATH=$GVR_HOME/shims:/usr/bin:/bin
[ "$(command -v gopls)" = "$GVR_HOME/shims/gopls" ] || die "the gopls shim is not first on PATH"

# The workspace: three modules, app → libb → liba, tied by go.work.
ws=$work/ws
mkdir -p "$ws/liba" "$ws/libb" "$ws/app"
echo "$GO_VERSION" > "$ws/.go-version"
cat > "$ws/go.work" <<EOF
go 1.24

use (
	./app
	./liba
	./libb
)
EOF
printf 'module example.com/liba\n\ngo 1.24\n' > "$ws/liba/go.mod"
printf 'module example.com/libb\n\ngo 1.24\n\nrequire example.com/liba v0.0.0\n' > "$ws/libb/go.mod"
printf 'module example.com/app\n\ngo 1.24\n\nrequire (\n\texample.com/liba v0.0.0\n\texample.com/libb v0.0.0\n)\n' > "$ws/app/go.mod"
cat > "$ws/liba/a.go" <<'EOF'
// Package liba greets.
package liba

// Greeting returns a greeting for name.
func Greeting(name string) string { return "hello, " + name }
EOF
cat > "$ws/libb/b.go" <<'EOF'
// Package libb shouts liba's greeting.
package libb

import (
	"strings"

	"example.com/liba"
)

// Shout returns liba's greeting in capitals.
func Shout(name string) string { return strings.ToUpper(liba.Greeting(name)) }
EOF
cat > "$ws/app/main.go" <<'EOF'
package main

import (
	"fmt"

	"example.com/liba"
	"example.com/libb"
)

func main() { fmt.Println(liba.Greeting("gvr"), libb.Shout("gopls")) }
EOF
cd "$ws"

say "gvr gopls current (before the build)"
current=$("$gvr_bin" gopls current)
printf '%s\n' "$current"
grep -q "gopls $GOPLS_VERSION (set by gvr's compatibility table for go$GO_VERSION)" <<<"$current" || die "unexpected pin"

say "building gopls $GOPLS_VERSION with go$GO_VERSION through the module proxy"
start=$(date +%s)
"$gvr_bin" gopls install -v
build_secs=$(( $(date +%s) - start ))
say "gopls build took ${build_secs}s"
receipt=$GVR_HOME/gopls/$GOPLS_VERSION/go$GO_VERSION/receipt.json
grep -q '"source": "built from golang.org/x/tools/gopls@v0.20.0 via GOPROXY=https://proxy.golang.org,direct"' "$receipt" \
  || die "receipt does not name the proxy: $(cat "$receipt")"

current=$("$gvr_bin" gopls current)
grep -q "built by go$GO_VERSION: $GVR_HOME/gopls/$GOPLS_VERSION/go$GO_VERSION/gopls" <<<"$current" \
  || die "gvr gopls current does not show the build: $current"

out=$(gopls version)
[ "$out" = "golang.org/x/tools/gopls $GOPLS_VERSION" ] || die "gopls version through the shim printed: $out"
say "gopls version through the shim: $out"

go build ./app ./liba ./libb || die "the workspace does not build"
out=$(gopls check liba/a.go libb/b.go app/main.go 2>&1) || die "gopls check failed on valid files: $out"
[ -z "$out" ] || die "gopls check reported problems in valid files: $out"
say "gopls check: valid files are clean"

cat > "$ws/app/broken.go" <<'EOF'
package main

import "example.com/libb"

var count int = libb.Shout("x")
EOF
out=$(gopls check app/broken.go 2>&1 || true)
grep -q 'broken.go:5:.*cannot use libb.Shout("x")' <<<"$out" || die "gopls check missed the seeded error; it printed: $out"
say "gopls check reports the seeded error: $out"
rm "$ws/app/broken.go"

# The env gopls runs with, read from /proc while `gopls serve` waits on stdin.
go_env=$(go env GOROOT GOWORK GOCACHE)
mkfifo "$work/stdin"
gopls serve <"$work/stdin" >/dev/null 2>&1 &
pid=$!
exec 3>"$work/stdin"
for _ in $(seq 50); do
  [ "$(readlink "/proc/$pid/exe" || true)" = "$GVR_HOME/gopls/$GOPLS_VERSION/go$GO_VERSION/gopls" ] && break
  sleep 0.1
done
[ "$(readlink "/proc/$pid/exe")" = "$GVR_HOME/gopls/$GOPLS_VERSION/go$GO_VERSION/gopls" ] \
  || die "the gopls shim did not exec the pinned build (it runs $(readlink "/proc/$pid/exe"))"
gopls_env=$(tr '\0' '\n' <"/proc/$pid/environ")
exec 3>&-
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
i=0
for var in GOROOT GOWORK GOCACHE; do
  i=$((i + 1))
  want=$(sed -n "${i}p" <<<"$go_env")
  [ "$var" = GOWORK ] && continue
  got=$(sed -n "s/^$var=//p" <<<"$gopls_env")
  [ -n "$want" ] && [ "$got" = "$want" ] || die "gopls sees $var='$got', go env says '$want'"
  say "gopls and go agree: $var=$got"
done
# GOWORK is left to Go's own discovery (never exported, so a nested go in another
# module is not forced into this workspace): gopls's environment has none, and the go
# it runs, from the workspace with exactly that environment, finds the workspace's go.work.
! grep -q '^GOWORK=' <<<"$gopls_env" || die "the shim exported $(grep '^GOWORK=' <<<"$gopls_env")"
mapfile -t gopls_env_lines <<<"$gopls_env"
got=$(cd "$ws" && env -i "${gopls_env_lines[@]}" "$GVR_HOME/versions/$GO_VERSION/bin/go" env GOWORK)
want=$(sed -n 2p <<<"$go_env")
[ "$got" = "$ws/go.work" ] && [ "$want" = "$ws/go.work" ] \
  || die "with gopls's environment go finds GOWORK='$got' (go env through the shim: '$want'), not $ws/go.work"
say "gopls's go finds the workspace: GOWORK=$got"
first_path=$(sed -n 's/^PATH=//p' <<<"$gopls_env" | cut -d: -f1)
[ "$first_path" = "$GVR_HOME/versions/$GO_VERSION/bin" ] || die "gopls's PATH starts with $first_path, not the SDK's bin"

say "PASS (gopls $GOPLS_VERSION built in ${build_secs}s)"
cd "$repo"
[ -n "$keep" ] || rm -rf "$work"

#!/usr/bin/env bash
# Benchmark: the `go` shim's overhead over running the SDK's bin/go directly.
#
# In one hyperfine run (warm-up, >= 100 runs each), from a directory three levels below
# a `.go-version` inside a go.work workspace, it times
#   shim:   $GVR_HOME/shims/go version
#   direct: $GVR_HOME/versions/<v>/bin/go version
# and prints both medians, the difference and the ratio. Target: overhead <= 0.25 ms.
#
# Usage: scripts/bench-shim.sh [--runs N]     (needs hyperfine: apt-get install hyperfine)
# Uses target/e2e/mirror (scripts/e2e-prepare.sh) for a real go1.21.13 SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=300
[ "${1:-}" = "--runs" ] && runs=${2:?--runs N}
command -v hyperfine >/dev/null || { echo "bench-shim: hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-shim: jq not found (apt-get install jq)" >&2; exit 1; }
mirror=$PWD/target/e2e/mirror
[ -f "$mirror/index.json" ] || scripts/e2e-prepare.sh target/e2e 1.21.13 1.22.10 1.24.11

cargo build --release --quiet -p gvr --bin gvr
cargo build --release --quiet -p gvr-shim
export PATH="$PWD/target/release:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GVR_HOME=$work/gvr GVR_CACHE_DIR=$work/cache
mkdir -p "$HOME"
gvr install --quiet --mirror "$mirror" 1.21.13
gvr rehash

ws=$work/ws
mkdir -p "$ws/app/internal/deep/er" "$ws/lib"
printf 'go 1.21\n\nuse (\n\t./app\n\t./lib\n)\n' > "$ws/go.work"
printf 'module example.com/app\n\ngo 1.21\n' > "$ws/app/go.mod"
printf 'module example.com/lib\n\ngo 1.21\n' > "$ws/lib/go.mod"
echo 1.21.13 > "$ws/app/.go-version"
cd "$ws/app/internal/deep/er"

shim=$GVR_HOME/shims/go
direct=$GVR_HOME/versions/1.21.13/bin/go
[ "$("$shim" version)" = "$("$direct" version)" ] || { echo "shim and direct disagree" >&2; exit 1; }

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/h.json" \
  -n shim "$shim version" -n direct "$direct version" >&2
jq -r '
  (.results[] | select(.command=="shim") | .median) as $s |
  (.results[] | select(.command=="direct") | .median) as $d |
  "shim   median \($s*1000 | .*1000 | round / 1000) ms\ndirect median \($d*1000 | .*1000 | round / 1000) ms\noverhead \((($s-$d)*1000) | .*1000 | round / 1000) ms (target <= 0.25 ms)\nratio \(($s/$d) | .*1000 | round / 1000)x"' "$work/h.json"

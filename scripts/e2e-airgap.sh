#!/usr/bin/env bash
# The air-gapped journey end to end, with real Go releases and the real checksum
# database:
#   1. connected: `gvr mirror sync KIT 1.22.6 1.22.10 --gopls` from the e2e tier's
#      go.dev-style mirror and file:// GOPROXY (scripts/e2e-prepare.sh), with the
#      checksum database and gopls's modules through the Go module proxy; the kit is
#      kept under DIR/kit, so later runs only check it;
#   2. `gvr mirror verify KIT`;
#   3. in a network namespace with loopback only (`unshare -n`, so run as root), with
#      the kit served by `gvr mirror serve`: `gvr install 1.22.6`, go1.22.10 installed by
#      the shim on demand (GVR_AUTO_INSTALL=1), `gvr gopls install` building gopls from
#      the kit, and plain Go switching toolchains with GOPROXY=file://KIT; all under
#      `strace -f -e trace=connect`, which must show no connection but to the kit's
#      server; then `gopls version` through the shim.
# Usage: scripts/e2e-airgap.sh [DIR]   (default target/e2e; GOPROXY_URL overrides the
# Go module proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(cd "${1:-target/e2e}" && pwd)
proxy=${GOPROXY_URL:-https://proxy.golang.org}
gvr=$PWD/target/debug/gvr
cargo build --workspace --bins
for t in unshare strace ip; do
  command -v $t >/dev/null || { echo "e2e-airgap: $t is required" >&2; exit 1; }
done
unshare -n true 2>/dev/null || { echo "e2e-airgap: unshare -n failed (run as root)" >&2; exit 1; }
[ -f "$dir/mirror/go1.22.6.linux-amd64.tar.gz" ] || scripts/e2e-prepare.sh "$dir" 1.22.6 1.22.10

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kit=$dir/kit

echo "e2e-airgap: syncing $kit" >&2
env -i PATH=/usr/bin:/bin HOME="$work/online" GVR_HOME="$work/online/gvr" \
  GOPROXY="file://$dir/goproxy,$proxy" GVR_MIRROR="$dir/mirror" \
  "$gvr" mirror sync "$kit" 1.22.6 1.22.10 --gopls
env -i PATH=/usr/bin:/bin HOME="$work/online" GVR_HOME="$work/online/gvr" \
  "$gvr" mirror verify "$kit"

cat > "$work/offline.sh" <<'EOF'
set -euo pipefail
ip link set lo up
if curl -s -m 3 -o /dev/null https://proxy.golang.org 2>/dev/null; then
  echo "e2e-airgap: the namespace reaches the Internet" >&2; exit 1
fi
"$GVR" mirror serve "$KIT" --addr 127.0.0.1:0 > "$WORK/serve.url" 2>/dev/null &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 50); do [ -s "$WORK/serve.url" ] && break; sleep 0.1; done
url=$(head -1 "$WORK/serve.url")
export PATH="$WORK/off/gvr/shims:/usr/bin:/bin" HOME="$WORK/off/home" GVR_HOME="$WORK/off/gvr"
export GVR_MIRROR="$url"
mkdir -p "$HOME" "$WORK/proj"
echo "1.22.10" > "$WORK/proj/.go-version"
strace -f -qq -e trace=connect -o "$WORK/connect.log" bash -euo pipefail -c '
  "$GVR" install 1.22.6
  "$GVR" global 1.22.6
  "$GVR" rehash
  # The shim installs the pinned go1.22.10 from the kit on demand.
  (cd "$WORK/proj" && GVR_AUTO_INSTALL=1 go version) | grep -q "go1.22.10"
  "$GVR" gopls install
  # Plain Go, switching to go1.22.10 through the kit as its GOPROXY; its tree head
  # store seeded with the kit'"'"'s (see the README).
  mkdir -p "$WORK/plain/pkg/sumdb/sum.golang.org"
  cp "$KIT/sumdb/sum.golang.org/latest" "$WORK/plain/pkg/sumdb/sum.golang.org/latest"
  (cd "$WORK" && env GOPATH="$WORK/plain" GOFLAGS=-modcacherw GOPROXY="file://$KIT" \
     GOTOOLCHAIN=go1.22.10 "$GVR_HOME/versions/1.22.6/bin/go" version) | grep -q "go1.22.10"
'
bad=$(grep -E "connect\(.*sa_family=AF_INET6?" "$WORK/connect.log" | grep -v "inet_addr(\"127.0.0.1\")" || true)
port=${url##*:}
bad+=$(grep -E "connect\(.*sa_family=AF_INET," "$WORK/connect.log" | grep -v "htons($port)" || true)
if [ -n "$bad" ]; then
  echo "e2e-airgap: connections other than to the kit's server:" >&2
  echo "$bad" >&2
  exit 1
fi
n=$(grep -c "htons($port)" "$WORK/connect.log" || true)
echo "e2e-airgap: $n connect() calls, all to the kit at $url" >&2
gopls version | grep -q "golang.org/x/tools/gopls v0.16.2"
echo "e2e-airgap: gopls through the shim: $(gopls version | head -1)" >&2
EOF
GVR="$gvr" KIT="$kit" WORK="$work" unshare -n bash "$work/offline.sh"
echo "e2e-airgap: ok" >&2

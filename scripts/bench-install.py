#!/usr/bin/env python3
"""Benchmark: `gvr install` against two shell baselines on the same archive.

In one run, interleaved for N rounds, from a loopback HTTP mirror, everything on a
tmpfs (this VM's ext4 file-creation cost drifts by 10x, so disk numbers mislead):
  gvr       gvr install <version> into a fresh GVR_HOME (download, sha256, unpack, commit)
  stream    curl URL | tee >(sha256sum) | tar xz          (one pass, three processes)
  two-pass  curl -o f URL; sha256sum -c; tar xzf f        (download, then hash, then unpack)
  goproxy   gvr install --source goproxy <version> from a GOPROXY on loopback serving the
            toolchain module zip (download, unpack with the h1 computed in the same pass,
            commit)
gvr's rows run with GVR_SUMDB=off (no checksum-database round trip); with --sumdb, two
more rows use the real database through the Go module proxy, so they include its
network round trips: `gvr+sumdb` (the archive's module files hashed and looked up) and
`goproxy+sumdb`.
Prints each median, gvr's ratio to each baseline, and gvr's peak RSS (GNU time).
With --before PATH, a second gvr (e.g. main's build) runs in the same rounds as
`before`, so a change is judged against its parent under the same load.

Usage: scripts/bench-install.py [--mirror DIR] [--goproxy DIR] [--version V] [--rounds N]
                                [--gvr PATH] [--before PATH] [--sumdb]
The mirror and GOPROXY default to target/e2e/{mirror,goproxy} (made by
scripts/e2e-prepare.sh). Without
--gvr, scripts/build-release.sh builds target/release/gvr first on every run (a no-op
when it is up to date), so a stale binary is never measured.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mount_tmpfs():
    """A fresh tmpfs when we may mount one, else /dev/shm (also tmpfs on Linux)."""
    d = tempfile.mkdtemp(prefix="gvr-bench-")
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g", "tmpfs", d]).returncode == 0:
        return d, True
    os.rmdir(d)
    return tempfile.mkdtemp(prefix="gvr-bench-", dir="/dev/shm"), False


def start_server(directory):
    p = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0", "--directory", directory],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(r"port (\d+)", line)
    if not m:
        p.kill()
        sys.exit(f"http.server did not start: {line!r}")
    return p, f"http://127.0.0.1:{m.group(1)}"


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {cmd}\n{r.stderr}")
    return dt, r.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", default=os.path.join(ROOT, "target/e2e/mirror"))
    ap.add_argument("--version", default="1.21.13")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gvr", help="a gvr binary to measure as is (default: build target/release/gvr)")
    ap.add_argument("--before", help="another gvr binary to measure in the same rounds (e.g. main's)")
    ap.add_argument("--goproxy", default=os.path.join(ROOT, "target/e2e/goproxy"))
    ap.add_argument("--sumdb", action="store_true", help="add rows that use the real checksum database")
    a = ap.parse_args()

    name = f"go{a.version}.linux-amd64.tar.gz"
    src = os.path.join(a.mirror, name)
    if not os.path.exists(src):
        sys.exit(f"{src} not found: run scripts/e2e-prepare.sh target/e2e first")
    if a.gvr is None:
        # The same build users install (scripts/build-release.sh), current with the tree.
        subprocess.run([os.path.join(ROOT, "scripts/build-release.sh")], cwd=ROOT, check=True)
        a.gvr = os.path.join(ROOT, "target/release/gvr")

    tmp, mounted = mount_tmpfs()
    try:
        mirror = os.path.join(tmp, "mirror")
        os.makedirs(mirror)
        for f in (name, name + ".sha256", "index.json"):
            shutil.copy(os.path.join(a.mirror, f), mirror)
        sha = open(os.path.join(mirror, name + ".sha256")).read().split()[0]
        mv = f"v0.0.1-go{a.version}.linux-amd64"
        vdir = os.path.join(tmp, "goproxy", "golang.org", "toolchain", "@v")
        os.makedirs(vdir)
        for f in ("list", f"{mv}.info", f"{mv}.zip"):
            shutil.copy(os.path.join(a.goproxy, "golang.org", "toolchain", "@v", f), vdir)
        server, base = start_server(mirror)
        pserver, pbase = start_server(os.path.join(tmp, "goproxy"))
        url = f"{base}/{name}"
        # key: (binary, extra arguments, extra environment)
        off = {"GVR_SUMDB": "off"}
        gvrs = {"gvr": (a.gvr, [], {"GVR_MIRROR": base, **off})}
        if a.before:
            gvrs["before"] = (a.before, [], {"GVR_MIRROR": base, **off})
        gvrs["goproxy"] = (a.gvr, ["--source", "goproxy", "--allow-unverified"], {"GOPROXY": pbase, **off})
        if a.sumdb:
            gvrs["gvr+sumdb"] = (a.gvr, [], {"GVR_MIRROR": base, "GVR_SUMDB": "require"})
            gvrs["goproxy+sumdb"] = (a.gvr, ["--source", "goproxy"],
                                     {"GOPROXY": f"{pbase},https://proxy.golang.org"})
        times = {k: [] for k in gvrs}
        times.update({"stream": [], "two-pass": []})
        rss_kb = {k: [] for k in gvrs}
        try:
            for rnd in range(a.rounds):
                work = os.path.join(tmp, f"r{rnd}")
                os.makedirs(work)
                # Alternate who goes first, so neither always meets a warmer machine.
                for key, (binary, args, extra) in (list(gvrs.items())[::-1] if rnd % 2 else gvrs.items()):
                    # gvr: fresh home each round, so nothing is reused from downloads/.
                    home = os.path.join(work, f"{key}-home")
                    env = {"PATH": os.environ["PATH"], "HOME": work, "GVR_HOME": home,
                           "GVR_CACHE_DIR": os.path.join(work, f"{key}-cache")}
                    env.update(extra)
                    dt, err = timed(["/usr/bin/time", "-f", "RSS=%M", binary, "install", "--quiet", a.version] + args, env)
                    rss_kb[key].append(int(re.search(r"RSS=(\d+)", err).group(1)))
                    assert os.path.exists(os.path.join(home, "versions", a.version, "bin/go"))
                    times[key].append(dt)
                    shutil.rmtree(home)

                d = os.path.join(work, "stream")
                os.makedirs(d)
                dt, _ = timed(["bash", "-c",
                               f"set -eo pipefail; curl -sfS {url} | tee >(sha256sum > {d}.sum) | tar xz -C {d}; wait"])
                times["stream"].append(dt)

                d = os.path.join(work, "twopass")
                os.makedirs(d)
                dt, _ = timed(["bash", "-c",
                               f"set -e; cd {work}; curl -sfS -o {name} {url}; "
                               f"echo '{sha}  {name}' | sha256sum -c --quiet; tar xzf {name} -C {d}"])
                times["two-pass"].append(dt)
                shutil.rmtree(work)
        finally:
            server.kill()
            pserver.kill()
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"install of go{a.version} ({os.path.getsize(src) / 1e6:.1f} MB archive), {a.rounds} interleaved rounds on tmpfs")
        for k, v in times.items():
            print(f"  {k:13s} median {med[k] * 1000:8.1f} ms   (runs: {', '.join(f'{x * 1000:.0f}' for x in v)})")
        for key in gvrs:
            print(f"  {key} / stream   = {med[key] / med['stream']:.2f}x   (target <= 0.5x)")
            print(f"  {key} / two-pass = {med[key] / med['two-pass']:.2f}x")
            print(f"  {key} peak RSS   = {max(rss_kb[key]) / 1024:.1f} MB (max over rounds; "
                  f"median {statistics.median(rss_kb[key]) / 1024:.1f} MB; target <= 40 MB)")
    finally:
        if mounted:
            subprocess.run(["umount", tmp])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

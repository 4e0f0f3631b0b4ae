#!/usr/bin/env python3
"""Benchmark: the `go` shim's overhead over running the SDK's bin/go directly.

From a directory three levels below a `.go-version` inside a go.work workspace, in one
run, interleaved (one call of each contestant per round, so drift hits all alike),
after a warm-up, with >= 100 rounds:
  direct   $GVR_HOME/versions/<v>/bin/go version
  shim     $GVR_HOME/shims/go version        (selection, workspace env, exec)
  floor    a 3-line static C program that only execs bin/go: what one extra exec of a
           program linked with the C library costs here (the shim on PATH links none)
Prints each median, the shim's overhead over direct (target <= 0.25 ms) and over the
floor, and the ratio.

Usage: scripts/bench-shim.py [--rounds N] [--version V]
Needs: cargo, a C compiler, and the mirror made by scripts/e2e-prepare.sh (made if missing).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLOOR_C = """#include <unistd.h>
int main(int argc, char **argv) { (void)argc; execv(GO, argv); return 127; }
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--version", default="1.21.13")
    a = ap.parse_args()
    if a.rounds < 100:
        sys.exit("--rounds must be at least 100")

    mirror = os.path.join(ROOT, "target/e2e/mirror")
    if not os.path.exists(os.path.join(mirror, "index.json")):
        subprocess.run([os.path.join(ROOT, "scripts/e2e-prepare.sh"), os.path.join(ROOT, "target/e2e")], check=True)
    subprocess.run([os.path.join(ROOT, "scripts/build-release.sh")], check=True)
    gvr = os.path.join(ROOT, "target/release/gvr")

    work = tempfile.mkdtemp(prefix="gvr-bench-shim-")
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": os.path.join(work, "home"),
               "GVR_HOME": os.path.join(work, "gvr"), "GVR_CACHE_DIR": os.path.join(work, "cache")}
        os.makedirs(env["HOME"])
        run = lambda *args: subprocess.run([gvr, *args], env=env, check=True, stderr=subprocess.DEVNULL)
        run("install", "--quiet", "--mirror", mirror, a.version)
        run("rehash")

        ws = os.path.join(work, "ws")
        deep = os.path.join(ws, "app", "internal", "deep", "er")
        os.makedirs(deep)
        os.makedirs(os.path.join(ws, "lib"))
        with open(os.path.join(ws, "go.work"), "w") as f:
            f.write("go 1.21\n\nuse (\n\t./app\n\t./lib\n)\n")
        for mod in ("app", "lib"):
            with open(os.path.join(ws, mod, "go.mod"), "w") as f:
                f.write(f"module example.com/{mod}\n\ngo 1.21\n")
        with open(os.path.join(ws, "app", ".go-version"), "w") as f:
            f.write(a.version + "\n")

        direct = os.path.join(env["GVR_HOME"], "versions", a.version, "bin", "go")
        shim = os.path.join(env["GVR_HOME"], "shims", "go")
        floor = os.path.join(work, "floor")
        with open(floor + ".c", "w") as f:
            f.write(FLOOR_C)
        subprocess.run(["cc", "-O2", "-static", f'-DGO="{direct}"', "-o", floor, floor + ".c"], check=True)

        contestants = [("direct", direct), ("shim", shim), ("floor", floor)]
        outs = {n: subprocess.run([p, "version"], cwd=deep, env=env, capture_output=True, text=True).stdout
                for n, p in contestants}
        if len(set(outs.values())) != 1 or f"go{a.version}" not in outs["shim"]:
            sys.exit(f"contestants disagree: {outs}")

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.chdir(deep)

        def once(path):
            t = time.perf_counter_ns()
            pid = os.posix_spawn(path, [path, "version"], env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
            _, status = os.waitpid(pid, 0)
            if status != 0:
                sys.exit(f"{path} version failed ({status})")
            return time.perf_counter_ns() - t

        for _ in range(50):  # warm-up: page cache, dentries
            for _, p in contestants:
                once(p)
        times = {n: [] for n, _ in contestants}
        for _ in range(a.rounds):
            for n, p in contestants:
                times[n].append(once(p))
        med = {n: statistics.median(v) / 1e6 for n, v in times.items()}
        print(f"`go version` of go{a.version}, {a.rounds} interleaved rounds, from 3 levels below .go-version in a go.work workspace")
        for n, _ in contestants:
            q = statistics.quantiles(times[n], n=10)
            print(f"  {n:7s} median {med[n]:.3f} ms   (p10 {q[0] / 1e6:.3f}, p90 {q[-1] / 1e6:.3f})")
        print(f"  shim overhead over direct = {med['shim'] - med['direct']:+.3f} ms (target <= 0.25 ms); ratio {med['shim'] / med['direct']:.3f}x")
        print(f"  one bare C exec (floor - direct) = {med['floor'] - med['direct']:+.3f} ms; shim over floor = {med['shim'] - med['floor']:+.3f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

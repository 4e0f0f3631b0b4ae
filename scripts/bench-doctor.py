#!/usr/bin/env python3
"""Benchmark: `gvr check` over a generated repository of 200 modules, and `gvr doctor`
(without --network) in one of its modules, both with the release build.

The repository: a go.work using 200 modules, each with a go.mod, a few Go files in
nested packages and (every 10th) its own .go-version, a .gopls-version at the top, and
a .vscode/settings.json with comments. gvr's home holds a real SDK from the e2e mirror
and the real gopls it pins (built through the Go module proxy with the caches the e2e
tier keeps, so after the first run it only links), so doctor reads real files: the
SDK's go.env, the gopls binary's build info, the VS Code settings.

Each command runs --rounds times after a warm-up, interleaved; prints the median and
the 90th percentile of the wall time of the whole process (start, work, exit). Targets:
check <= 100 ms, doctor <= 150 ms. The machine may be shared: the load average is
printed with the figures; rerun when it is high.

Usage: scripts/bench-doctor.py [--rounds N] [--modules N]
Needs: cargo, the e2e mirror (made by scripts/e2e-prepare.sh if missing), the network
for the first gopls build.
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
GO = "1.24.11"


def generate(ws, modules):
    os.makedirs(os.path.join(ws, ".git"))
    os.makedirs(os.path.join(ws, ".vscode"))
    with open(os.path.join(ws, ".go-version"), "w") as f:
        f.write(GO + "\n")
    with open(os.path.join(ws, ".gopls-version"), "w") as f:
        f.write("v0.20.0\n")
    with open(os.path.join(ws, ".vscode", "settings.json"), "w") as f:
        f.write('// team settings\n{\n  "editor.formatOnSave": true, // always\n'
                '  "gopls": {"ui.completion.usePlaceholders": true},\n'
                '  "go.lintTool": "staticcheck",\n}\n')
    uses = []
    for i in range(modules):
        name = f"mod{i:03d}"
        uses.append(f"\t./{name}")
        d = os.path.join(ws, name)
        for pkg in ("", "internal/a", "internal/b", "cmd/tool"):
            os.makedirs(os.path.join(d, pkg), exist_ok=True)
            with open(os.path.join(d, pkg, "x.go"), "w") as f:
                f.write(f"package {os.path.basename(pkg) or name}\n")
        with open(os.path.join(d, "go.mod"), "w") as f:
            f.write(f"module example.com/{name}\n\ngo 1.24\n\nrequire example.com/mod000 v0.0.0\n")
        if i % 10 == 0:
            with open(os.path.join(d, ".go-version"), "w") as f:
                f.write(GO + "\n")
    with open(os.path.join(ws, "go.work"), "w") as f:
        f.write("go 1.24\n\nuse (\n" + "\n".join(uses) + "\n)\n")


def timed(cmd, env, cwd, rounds):
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out.append((time.perf_counter() - t) * 1000)
        if r.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed: {r.stderr.decode()}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--modules", type=int, default=200)
    a = ap.parse_args()

    e2e = os.environ.get("GVR_E2E_DIR", os.path.join(ROOT, "target/e2e"))
    mirror = os.path.join(e2e, "mirror")
    if not os.path.exists(os.path.join(mirror, "index.json")):
        subprocess.run([os.path.join(ROOT, "scripts/e2e-prepare.sh"), e2e], check=True)
    subprocess.run([os.path.join(ROOT, "scripts/build-release.sh")], check=True)
    gvr = os.path.join(ROOT, "target/release/gvr")

    work = tempfile.mkdtemp(prefix="gvr-bench-doctor-")
    try:
        home = os.path.join(work, "home")
        os.makedirs(home)
        gvr_home = os.path.join(work, "gvr")
        env = {"PATH": f"{gvr_home}/shims:/usr/bin:/bin", "HOME": home,
               "GVR_HOME": gvr_home, "GVR_CACHE_DIR": os.path.join(work, "cache")}
        caches = os.path.join(e2e, "doctor-e2e-caches")
        build_env = dict(env, GOMODCACHE=os.path.join(caches, "mod"),
                         GOCACHE=os.path.join(caches, "build"), GOFLAGS="-modcacherw")
        subprocess.run([gvr, "install", "--quiet", "--mirror", mirror, GO], env=env, check=True)
        ws = os.path.join(work, "repo")
        generate(ws, a.modules)
        print("building gopls v0.20.0 (cached after the first run) ...", file=sys.stderr)
        subprocess.run([gvr, "gopls", "install", "--quiet"], env=build_env, cwd=ws, check=True)

        mod = os.path.join(ws, "mod042")
        check = [gvr, "check"]
        doctor = [gvr, "doctor"]
        # Both must be clean, or the benchmark measures error paths.
        for cmd, cwd in ((check, ws), (doctor, mod)):
            r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{' '.join(cmd)} is not clean here:\n{r.stdout}{r.stderr}")
        timed(check, env, ws, 5)
        timed(doctor, env, mod, 5)
        c, d = [], []
        for _ in range(a.rounds):
            c += timed(check, env, ws, 1)
            d += timed(doctor, env, mod, 1)
        q = lambda xs: (statistics.median(xs), statistics.quantiles(xs, n=10)[-1])
        load = os.getloadavg()
        print(f"{a.modules} modules, {a.rounds} interleaved rounds, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"gvr check   median {q(c)[0]:6.1f} ms   p90 {q(c)[1]:6.1f} ms   (target <= 100 ms)")
        print(f"gvr doctor  median {q(d)[0]:6.1f} ms   p90 {q(d)[1]:6.1f} ms   (target <= 150 ms)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

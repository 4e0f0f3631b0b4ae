//! The one hermetic place the integration tests run things in: a temp dir holding HOME,
//! GVR_HOME and GVR_CACHE_DIR, a cleared environment with an explicit PATH, short retry
//! backoff, and the shims made from the binary `GVR_TEST_SHIM` names (else the debug build).

#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Once;

use tempfile::TempDir;

use crate::support::sdk::{install_fake, write_sdk_tree};

pub fn gvr_bin() -> &'static str {
    env!("CARGO_BIN_EXE_gvr")
}

/// `GVR_TEST_SHIM` when set: scripts/test points it at the static release build users
/// install.
fn test_shim() -> Option<PathBuf> {
    std::env::var_os("GVR_TEST_SHIM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The shim binary the tests run: `GVR_TEST_SHIM` when set, else the debug build next
/// to `gvr`.
pub fn shim_bin() -> PathBuf {
    test_shim().unwrap_or_else(|| Path::new(gvr_bin()).with_file_name("gvr-shim"))
}

/// The freestanding fast shim the tests put in front of the tools: the one next to
/// `GVR_TEST_SHIM` when set, else the release build (it is only ever built in release
/// mode: it cannot unwind).
pub fn fast_shim_bin() -> PathBuf {
    match test_shim() {
        Some(shim) => shim.with_file_name("gvr-shim-fast"),
        None => {
            let target = Path::new(gvr_bin())
                .parent()
                .and_then(Path::parent)
                .expect("target dir");
            target.join("release").join("gvr-shim-fast")
        }
    }
}

/// The shim binary is another package's: build it (a no-op when fresh) so tests never
/// run a stale one. `gvr rehash` finds it next to the `gvr` binary; a `GVR_TEST_SHIM`
/// is given to every `gvr` run as `GVR_SHIM_BIN` instead (see [`Gvr::command_in`]).
fn ensure_shim_built() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        if let Some(shim) = test_shim() {
            assert!(
                shim.is_file(),
                "GVR_TEST_SHIM={} does not exist",
                shim.display()
            );
            return;
        }
        let gvr = Path::new(gvr_bin());
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "--quiet",
            "--offline",
            "-p",
            "gvr-shim",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if gvr
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "release")
        {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("run cargo build -p gvr-shim");
        assert!(
            out.status.success(),
            "building gvr-shim failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--offline",
                "--release",
                "-p",
                "gvr-shim-fast",
                "--features",
                "bin",
                "--manifest-path",
            ])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .output()
            .expect("run cargo build -p gvr-shim-fast");
        assert!(
            out.status.success(),
            "building gvr-shim-fast failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            gvr.with_file_name("gvr-shim").is_file(),
            "gvr-shim is not next to gvr"
        );
    });
}

/// Copies an executable with `cp`, not fs::copy: a write fd open in this process can
/// leak into a child another test thread forks at that moment, and exec of the copy
/// then fails with ETXTBSY ("Text file busy").
pub fn copy_exe(from: &Path, to: &Path) {
    let status = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(
        status.success(),
        "cp {} {}: {status}",
        from.display(),
        to.display()
    );
}

/// What a finished run produced.
#[derive(Clone)]
pub struct Run {
    pub args: Vec<String>,
    pub status: ExitStatus,
    /// The exit code, or -1 when killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n--- exit: {}\n--- stdout:\n{}--- stderr:\n{}---",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl Run {
    fn new(args: Vec<String>, out: Output) -> Run {
        Run {
            args,
            status: out.status,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `cmd` to completion and collects its output.
    pub fn of(cmd: &mut Command) -> Run {
        let args = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
        Run::new(args, out)
    }

    /// Asserts exit 0 and returns self for chaining.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success:\n{self:?}");
        self
    }
    /// Asserts this exit code.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit {code}:\n{self:?}");
        self
    }
    /// Asserts exit 1 (a failure, not a usage error).
    #[track_caller]
    pub fn fails(self) -> Run {
        self.code(1)
    }
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{self:?}"
        );
        self
    }
    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self:?}"
        );
        self
    }
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }
    /// The `env NAME=value` lines and `tool=… version=…` header a synthetic SDK's tool
    /// prints (see [`crate::support::sdk`]).
    pub fn tool_env(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        for line in self.stdout.lines() {
            if let Some(kv) = line.strip_prefix("env ") {
                let (k, v) = kv.split_once('=').unwrap();
                m.insert(k.to_string(), v.to_string());
            } else if line.starts_with("tool=") {
                for part in line.split(' ').take(2) {
                    let (k, v) = part.split_once('=').unwrap();
                    m.insert(k.to_string(), v.to_string());
                }
            }
        }
        m
    }
}

fn strings<I, S>(args: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    args.into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect()
}

/// A temp world for `gvr`: `<root>/home` (HOME), `<root>/gvr` (GVR_HOME),
/// `<root>/cache` (GVR_CACHE_DIR), `<root>/work` (the default working directory).
pub struct Gvr {
    _tmp: TempDir,
    /// The temp dir, canonical: the binaries see real paths (their cwd is one).
    root: PathBuf,
    /// PATH for every run.
    path: String,
    env: Vec<(String, String)>,
}

impl Default for Gvr {
    fn default() -> Self {
        Gvr::new()
    }
}

impl Gvr {
    pub fn new() -> Gvr {
        ensure_shim_built();
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for d in ["home", "gvr", "cache", "work"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Gvr {
            _tmp: tmp,
            root,
            path: "/usr/bin:/bin".into(),
            // Synthetic SDKs are not Go's releases: gvr leaves the checksum database
            // alone unless a test unsets this and points GOSUMDB at a test one.
            env: vec![
                ("GVR_RETRY_BASE_MS".into(), "10".into()),
                ("GVR_SUMDB".into(), "off".into()),
            ],
        }
    }

    /// A world whose PATH starts with its shims directory, as after `gvr init`.
    pub fn with_shims_on_path() -> Gvr {
        let mut g = Gvr::new();
        g.set_path(&[]);
        g
    }

    /// Synthetic SDKs installed and the shims refreshed, as `gvr install` would, with the
    /// shims first on PATH.
    pub fn with_versions(versions: &[&str]) -> Gvr {
        let g = Gvr::with_shims_on_path();
        for v in versions {
            install_fake(&g.gvr_home(), v);
        }
        g.rehash();
        g
    }

    /// Sets an environment variable for every later run.
    pub fn env(&mut self, k: &str, v: impl AsRef<OsStr>) -> &mut Gvr {
        let v = v.as_ref().to_string_lossy().into_owned();
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v));
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Gvr {
        self.env.retain(|(key, _)| key != k);
        self
    }

    /// Uses this mirror (via `GVR_MIRROR`) for every later run.
    pub fn mirror(&mut self, url: impl AsRef<OsStr>) -> &mut Gvr {
        self.env("GVR_MIRROR", url)
    }

    /// PATH for every later run: the shims, then `dirs`, then /usr/bin:/bin.
    pub fn set_path(&mut self, dirs: &[&Path]) -> &mut Gvr {
        let mut path = vec![self.shims_dir()];
        path.extend(dirs.iter().map(|d| d.to_path_buf()));
        path.extend(["/usr/bin", "/bin"].map(PathBuf::from));
        self.path = std::env::join_paths(path)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        self
    }

    /// The PATH every run gets.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    pub fn gvr_home(&self) -> PathBuf {
        self.root.join("gvr")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }
    pub fn work(&self) -> PathBuf {
        self.root.join("work")
    }
    pub fn shims_dir(&self) -> PathBuf {
        self.gvr_home().join("shims")
    }
    pub fn versions_dir(&self) -> PathBuf {
        self.gvr_home().join("versions")
    }
    pub fn version_dir(&self, v: &str) -> PathBuf {
        self.versions_dir().join(v)
    }
    pub fn receipt_path(&self, v: &str) -> PathBuf {
        self.version_dir(v).join(".gvr/receipt.json")
    }
    pub fn receipt(&self, v: &str) -> serde_json::Value {
        let p = self.receipt_path(v);
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {text}", p.display()))
    }
    pub fn downloads_dir(&self) -> PathBuf {
        self.gvr_home().join("downloads")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.gvr_home().join("tmp")
    }
    pub fn locks_dir(&self) -> PathBuf {
        self.gvr_home().join("locks")
    }

    /// `work/<rel>`, created.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.work().join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Writes `work/<rel>` (and its parents); returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.work().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A fake non-gvr `go` (with a GOROOT layout) at `<root>/<rel>/go/bin/go`; returns
    /// its bin directory.
    pub fn system_go(&self, rel: &str, version: &str) -> PathBuf {
        let parent = self.root.join(rel);
        write_sdk_tree(&parent, version, "linux", "amd64").join("bin")
    }

    /// Names in `dir` (empty if it does not exist), sorted.
    pub fn ls(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// `gvr rehash`: the shims, made from [`shim_bin`].
    pub fn rehash(&self) {
        self.run(["rehash"]).ok();
    }

    /// Puts [`shim_bin`] into the shims directory under `names` by copying, without the
    /// rest of what `gvr rehash` writes (no record of the `gvr` binary); returns the dir.
    pub fn copy_shims(&self, names: &[&str]) -> PathBuf {
        let dir = self.shims_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for n in names {
            copy_exe(&shim_bin(), &dir.join(n));
        }
        dir
    }

    /// Any program in `dir` with this world's cleared environment, HOME, GVR_* and PATH.
    pub fn cmd(&self, program: impl AsRef<OsStr>, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("HOME", self.home())
            .env("GVR_HOME", self.gvr_home())
            .env("GVR_CACHE_DIR", self.cache_dir())
            .env("PATH", &self.path)
            .current_dir(dir)
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Any program in the work dir with this world's environment, not yet run.
    pub fn program<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.cmd(program, &self.work());
        c.args(args);
        c
    }

    /// A `gvr` command in `dir`, not yet run.
    pub fn command_in<I, S>(&self, dir: &Path, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.cmd(gvr_bin(), dir);
        c.args(args);
        if let Some(shim) = test_shim() {
            c.env("GVR_SHIM_BIN", shim);
        }
        c.env("GVR_SHIM_FAST_BIN", fast_shim_bin());
        c
    }

    /// A `gvr` command in the work dir, not yet run.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command_in(&self.work(), args)
    }

    /// Runs `gvr args…` in `dir` to completion.
    pub fn run_in<I, S>(&self, dir: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args = strings(args);
        let out = self.command_in(dir, &args).output().expect("run gvr");
        Run::new(std::iter::once("gvr".into()).chain(args).collect(), out)
    }

    /// Runs `gvr args…` in the work dir to completion.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_in(&self.work(), args)
    }

    /// Runs a shim by name through PATH in `dir`, as a user's shell would.
    pub fn shim<I, S>(&self, tool: &str, dir: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::of(self.cmd(tool, dir).args(args))
    }

    /// Runs another program (e.g. `script` wrapping `gvr`) in the work dir.
    pub fn run_program<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::of(&mut self.program(program, args))
    }

    /// Starts `gvr args…` with piped output; finish it with [`finish`].
    pub fn spawn<I, S>(&self, args: I) -> (Vec<String>, Child)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args = strings(args);
        let child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gvr");
        (std::iter::once("gvr".into()).chain(args).collect(), child)
    }
}

/// Waits for a spawned run and collects its output.
pub fn finish((args, child): (Vec<String>, Child)) -> Run {
    let out = child.wait_with_output().expect("wait for gvr");
    Run::new(args, out)
}

/// Every path under `dir` (recursively, not following symlinks), relative, sorted.
pub fn tree(dir: &Path) -> Vec<String> {
    fn go(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            if std::fs::symlink_metadata(&p)
                .map(|m| m.is_dir())
                .unwrap_or(false)
            {
                go(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

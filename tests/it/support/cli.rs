//! A hermetic place to run the built `gvr`: a temp dir holding HOME, GVR_HOME and
//! GVR_CACHE_DIR, a cleared environment with an explicit PATH, and short retry backoff.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

pub fn gvr_bin() -> &'static str {
    env!("CARGO_BIN_EXE_gvr")
}

/// The shim binary cargo builds next to `gvr`.
pub fn shim_bin() -> PathBuf {
    Path::new(gvr_bin()).with_file_name("gvr-shim")
}

/// What a finished `gvr` run produced.
pub struct Run {
    pub args: Vec<String>,
    /// The exit code, or -1 when killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gvr {}\n--- exit: {}\n--- stdout:\n{}--- stderr:\n{}---",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl Run {
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
}

/// A temp world for `gvr`: `<root>/home` (HOME), `<root>/gvr` (GVR_HOME),
/// `<root>/cache` (GVR_CACHE_DIR), `<root>/work` (the working directory).
pub struct Gvr {
    root: TempDir,
    env: Vec<(String, String)>,
}

impl Default for Gvr {
    fn default() -> Self {
        Gvr::new()
    }
}

impl Gvr {
    pub fn new() -> Gvr {
        let root = TempDir::new().unwrap();
        for d in ["home", "gvr", "cache", "work"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Gvr {
            root,
            env: vec![("GVR_RETRY_BASE_MS".into(), "10".into())],
        }
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

    pub fn root(&self) -> &Path {
        self.root.path()
    }
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
    pub fn gvr_home(&self) -> PathBuf {
        self.root.path().join("gvr")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.root.path().join("cache")
    }
    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
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

    /// A `gvr` command in this world, not yet run.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.program(gvr_bin(), args)
    }

    /// Any program with this world's cleared environment, HOME, GVR_* and PATH.
    pub fn program<I, S>(&self, program: &str, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("GVR_HOME", self.gvr_home())
            .env("GVR_CACHE_DIR", self.cache_dir())
            .env("PATH", "/usr/bin:/bin")
            .current_dir(self.work())
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs `gvr args…` to completion.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let out = self.command(&args).output().expect("run gvr");
        Run {
            args,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs another program (e.g. `script` wrapping `gvr`) in this world.
    pub fn run_program<I, S>(&self, program: &str, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let out = self.program(program, &args).output().expect("run program");
        Run {
            args: std::iter::once(program.to_string()).chain(args).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `gvr args…` with piped output; finish it with [`finish`].
    pub fn spawn<I, S>(&self, args: I) -> (Vec<String>, Child)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gvr");
        (args, child)
    }
}

/// Waits for a spawned run and collects its output.
pub fn finish((args, child): (Vec<String>, Child)) -> Run {
    let out = child.wait_with_output().expect("wait for gvr");
    Run {
        args,
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
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

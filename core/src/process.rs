//! The process context: the one way the core reads the environment, the current
//! directory and the files selection depends on (the idea of rustup's `Process`).
//!
//! [`OsProcess`] reads the real process and filesystem. [`Recorder`] wraps another
//! context and remembers every variable and path read through it, so the shim's
//! decision record lists exactly what its decision depended on, by construction (see
//! `docs/architecture.md`, "Decision records"). Nothing in the core reads
//! `std::env` or those files another way: clippy's `disallowed-methods`
//! (`core/clippy.toml`) rejects it outside this module.

use std::cell::RefCell;
use std::ffi::OsString;
use std::fmt;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

/// Where the core's inputs come from. Implement the primitive reads; the provided
/// methods are built on them, so a wrapper that sees the primitives sees everything.
pub trait Process: fmt::Debug {
    /// The value of the environment variable `name`.
    fn var_os(&self, name: &str) -> Option<OsString>;
    /// The current directory.
    fn current_dir(&self) -> io::Result<PathBuf>;
    /// The metadata of `path`, following symlinks (stat(2)).
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;
    /// The whole contents of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The names of the entries of the directory `path`.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>>;
    /// `path` with every symlink resolved (realpath(3)).
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// `name` when set and not empty (an empty variable counts as unset for gvr, as for go).
    fn var_non_empty(&self, name: &str) -> Option<OsString> {
        self.var_os(name).filter(|v| !v.is_empty())
    }

    /// Whether `path` is a regular file (symlinks followed).
    fn is_file(&self, path: &Path) -> bool {
        self.metadata(path).is_ok_and(|m| m.is_file())
    }

    /// Whether `path` is a directory (symlinks followed).
    fn is_dir(&self, path: &Path) -> bool {
        self.metadata(path).is_ok_and(|m| m.is_dir())
    }

    /// A small text file, tolerating a BOM and invalid UTF-8 (replaced).
    fn read_small(&self, path: &Path) -> io::Result<String> {
        let bytes = self.read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
    }
}

/// This process and the real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsProcess;

// The one place the core reads the environment and these files directly.
#[allow(clippy::disallowed_methods)]
impl Process for OsProcess {
    fn var_os(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
    fn current_dir(&self) -> io::Result<PathBuf> {
        std::env::current_dir()
    }
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        std::fs::metadata(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// What a [`Recorder`] saw: every variable read with the value it had, and every path
/// stat'ed, read, listed or resolved, each once, in the order first read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    pub env: Vec<(String, Option<OsString>)>,
    pub paths: Vec<PathBuf>,
}

impl Inputs {
    fn env(&mut self, name: &str, value: &Option<OsString>) {
        if !self.env.iter().any(|(n, _)| n == name) {
            self.env.push((name.to_string(), value.clone()));
        }
    }
    fn path(&mut self, path: &Path) {
        if !self.paths.iter().any(|p| p == path) {
            self.paths.push(path.to_path_buf());
        }
    }
}

/// A context that reads through `inner` and records what was read. Single-threaded,
/// as the shim is.
#[derive(Debug)]
pub struct Recorder<'a> {
    inner: &'a dyn Process,
    seen: RefCell<Inputs>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn Process) -> Recorder<'a> {
        Recorder {
            inner,
            seen: RefCell::default(),
        }
    }

    /// Everything read so far.
    pub fn inputs(&self) -> Inputs {
        self.seen.borrow().clone()
    }

    fn path(&self, path: &Path) {
        self.seen.borrow_mut().path(path);
    }
}

impl Process for Recorder<'_> {
    fn var_os(&self, name: &str) -> Option<OsString> {
        let value = self.inner.var_os(name);
        self.seen.borrow_mut().env(name, &value);
        value
    }
    // The directory is the record's key, not one of its inputs.
    fn current_dir(&self) -> io::Result<PathBuf> {
        self.inner.current_dir()
    }
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.path(path);
        self.inner.metadata(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.path(path);
        self.inner.read(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>> {
        self.path(path);
        self.inner.read_dir(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.path(path);
        self.inner.canonicalize(path)
    }
}

/// The user's home directory: `$HOME` when set and not empty, else the password
/// database (as the `dirs` crate does).
// `dirs` only for what the environment does not say (the password database, Windows'
// known folders).
#[allow(clippy::disallowed_methods)]
pub fn home_dir(p: &dyn Process) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        p.var_non_empty("HOME")
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        dirs::home_dir()
    }
}

// `dirs` only on Windows, whose known folders do not come from the environment.
#[allow(clippy::disallowed_methods)]
/// Where per-user data lives (`$XDG_DATA_HOME`, `~/.local/share`; macOS
/// `~/Library/Application Support`), read through `p` with the rules of `dirs`.
pub fn data_dir(p: &dyn Process) -> Option<PathBuf> {
    user_dir(
        p,
        "XDG_DATA_HOME",
        ".local/share",
        "Library/Application Support",
        dirs::data_dir,
    )
}

#[allow(clippy::disallowed_methods)]
/// Where per-user caches live (`$XDG_CACHE_HOME`, `~/.cache`; macOS `~/Library/Caches`).
pub fn cache_dir(p: &dyn Process) -> Option<PathBuf> {
    user_dir(
        p,
        "XDG_CACHE_HOME",
        ".cache",
        "Library/Caches",
        dirs::cache_dir,
    )
}

#[allow(clippy::disallowed_methods)]
/// Where per-user settings live (`$XDG_CONFIG_HOME`, `~/.config`; macOS
/// `~/Library/Application Support`): go keeps `go env -w` settings under it.
pub fn config_dir(p: &dyn Process) -> Option<PathBuf> {
    user_dir(
        p,
        "XDG_CONFIG_HOME",
        ".config",
        "Library/Application Support",
        dirs::config_dir,
    )
}

#[allow(unused_variables)]
fn user_dir(
    p: &dyn Process,
    xdg: &str,
    under_home: &str,
    macos: &str,
    other: fn() -> Option<PathBuf>,
) -> Option<PathBuf> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        // A relative XDG value is invalid and ignored, as the spec (and dirs) say.
        p.var_os(xdg)
            .map(PathBuf::from)
            .filter(|d| d.is_absolute())
            .or_else(|| home_dir(p).map(|h| h.join(under_home)))
    }
    #[cfg(target_os = "macos")]
    {
        home_dir(p).map(|h| h.join(macos))
    }
    // Windows asks the shell for its known folders, not the environment.
    #[cfg(not(unix))]
    {
        other()
    }
}

/// The real filesystem with an environment given by the test.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub(crate) struct TestEnv(pub std::collections::HashMap<String, OsString>);

#[cfg(test)]
impl TestEnv {
    pub(crate) fn of(vars: &[(&str, &str)]) -> TestEnv {
        TestEnv(
            vars.iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect(),
        )
    }
}

#[cfg(test)]
impl Process for TestEnv {
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.0.get(name).cloned()
    }
    fn current_dir(&self) -> io::Result<PathBuf> {
        OsProcess.current_dir()
    }
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        OsProcess.metadata(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        OsProcess.read(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<OsString>> {
        OsProcess.read_dir(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        OsProcess.canonicalize(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_dirs_agree_with_the_dirs_crate() {
        assert_eq!(data_dir(&OsProcess), dirs::data_dir());
        assert_eq!(cache_dir(&OsProcess), dirs::cache_dir());
        assert_eq!(config_dir(&OsProcess), dirs::config_dir());
        assert_eq!(home_dir(&OsProcess), dirs::home_dir());
    }

    #[test]
    fn the_recorder_remembers_each_read_once_with_its_value() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let rec = Recorder::new(&OsProcess);
        assert!(rec.is_file(&f));
        assert_eq!(rec.read_small(&f).unwrap(), "x");
        assert!(!rec.is_dir(&t.path().join("missing")));
        let _ = rec.var_os("GVR_TEST_SURELY_UNSET_VARIABLE");
        let _ = rec.var_os("GVR_TEST_SURELY_UNSET_VARIABLE");
        let inputs = rec.inputs();
        assert_eq!(inputs.paths, [f, t.path().join("missing")]);
        assert_eq!(
            inputs.env,
            [("GVR_TEST_SURELY_UNSET_VARIABLE".to_string(), None)]
        );
    }
}

//! What doctor reads from the process: the current directory, environment variables
//! and files, all through the core's process context ([`Process`]), so tests give the
//! checks exactly the world they describe.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use crate::home::GvrHome;
use crate::process::{OsProcess, Process};

/// The process as the checks see it: the context, gvr's home and the directory.
pub struct Probe<'p> {
    pub process: &'p dyn Process,
    pub home: GvrHome,
    pub cwd: PathBuf,
}

impl<'p> Probe<'p> {
    pub fn new(process: &'p dyn Process, home: GvrHome, cwd: PathBuf) -> Probe<'p> {
        Probe { process, home, cwd }
    }

    /// This process, as it is.
    pub fn of_os(home: GvrHome, cwd: PathBuf) -> Probe<'static> {
        Probe::new(&OsProcess, home, cwd)
    }

    /// An environment variable, as set (empty included).
    pub fn var(&self, name: &str) -> Option<OsString> {
        self.process.var_os(name)
    }

    /// A non-empty variable as text.
    pub fn var_str(&self, name: &str) -> Option<String> {
        self.var(name)
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
    }

    /// The user's home directory as Go's `os.UserHomeDir` finds it: `$HOME` on Unix,
    /// `%USERPROFILE%` on Windows.
    pub fn user_home(&self) -> Option<PathBuf> {
        let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        self.var_str(var).map(PathBuf::from)
    }

    /// `os.UserConfigDir`: `%AppData%` on Windows, `~/Library/Application Support` on
    /// macOS, else `$XDG_CONFIG_HOME` when absolute (Go refuses a relative one: no
    /// config dir at all), else `~/.config`.
    pub fn user_config_dir(&self) -> Option<PathBuf> {
        if cfg!(windows) {
            return self.var_str("AppData").map(PathBuf::from);
        }
        if cfg!(target_os = "macos") {
            return self
                .user_home()
                .map(|h| h.join("Library").join("Application Support"));
        }
        match self.var_str("XDG_CONFIG_HOME") {
            Some(x) => Some(PathBuf::from(x)).filter(|p| p.is_absolute()),
            None => self.user_home().map(|h| h.join(".config")),
        }
    }

    /// `os.UserCacheDir`: `%LocalAppData%`, `~/Library/Caches`, else `$XDG_CACHE_HOME`
    /// when absolute, else `~/.cache`.
    pub fn user_cache_dir(&self) -> Option<PathBuf> {
        if cfg!(windows) {
            return self.var_str("LocalAppData").map(PathBuf::from);
        }
        if cfg!(target_os = "macos") {
            return self.user_home().map(|h| h.join("Library").join("Caches"));
        }
        match self.var_str("XDG_CACHE_HOME") {
            Some(x) => Some(PathBuf::from(x)).filter(|p| p.is_absolute()),
            None => self.user_home().map(|h| h.join(".cache")),
        }
    }

    /// Reads a small text file; `None` when it does not exist or cannot be read.
    pub fn read(&self, path: &Path) -> Option<String> {
        self.process.read_small(path).ok()
    }

    pub fn is_file(&self, path: &Path) -> bool {
        self.process.is_file(path)
    }

    pub fn is_dir(&self, path: &Path) -> bool {
        self.process.is_dir(path)
    }
}

/// The real filesystem with exactly the environment variables given (tests, tools).
#[derive(Debug, Clone, Default)]
pub struct VarsProcess {
    pub vars: HashMap<String, OsString>,
    /// The directory `current_dir` reports.
    pub cwd: PathBuf,
}

impl Process for VarsProcess {
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.vars.get(name).cloned()
    }
    fn current_dir(&self) -> io::Result<PathBuf> {
        Ok(self.cwd.clone())
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
    #[cfg(target_os = "linux")]
    fn config_dir_as_go_finds_it() {
        let with = |vars: &[(&str, &str)]| VarsProcess {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect(),
            cwd: "/".into(),
        };
        let dir =
            |p: &VarsProcess| Probe::new(p, GvrHome::at("/g", "/c"), "/".into()).user_config_dir();
        assert_eq!(
            dir(&with(&[("HOME", "/home/u")])),
            Some("/home/u/.config".into())
        );
        assert_eq!(
            dir(&with(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/x")])),
            Some("/x".into())
        );
        assert_eq!(
            dir(&with(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "rel")])),
            None
        );
    }
}

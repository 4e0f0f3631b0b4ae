//! What doctor reads from the process: the current directory and environment variables.
//! Every check reads them through [`Probe`], never `std::env`, so tests build a probe
//! from a map and the checks see exactly that world.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::home::GvrHome;

/// The process as the checks see it.
pub struct Probe {
    pub home: GvrHome,
    pub cwd: PathBuf,
    env: Env,
}

enum Env {
    Process,
    Map(HashMap<String, OsString>),
}

impl Probe {
    /// This process: its environment and current directory.
    pub fn from_process(home: GvrHome, cwd: PathBuf) -> Probe {
        Probe {
            home,
            cwd,
            env: Env::Process,
        }
    }

    /// A made-up process (tests): exactly the variables in `vars`.
    pub fn with_vars<K: Into<String>, V: Into<OsString>>(
        home: GvrHome,
        cwd: PathBuf,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Probe {
        Probe {
            home,
            cwd,
            env: Env::Map(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// An environment variable, as set (empty included).
    pub fn var(&self, name: &str) -> Option<OsString> {
        match &self.env {
            Env::Process => std::env::var_os(name),
            Env::Map(m) => m.get(name).cloned(),
        }
    }

    /// A non-empty variable as text.
    pub fn var_str(&self, name: &str) -> Option<String> {
        self.var(name)
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
    }

    /// The environment as a closure, for the library functions that take one.
    pub fn env_fn(&self) -> impl Fn(&str) -> Option<OsString> + '_ {
        move |k| self.var(k)
    }

    /// The user's home directory as Go's `os.UserHomeDir` finds it: `$HOME` on Unix,
    /// `%USERPROFILE%` on Windows, `$home` on Plan 9.
    pub fn user_home(&self) -> Option<PathBuf> {
        let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        self.var_str(var).map(PathBuf::from)
    }

    /// `os.UserConfigDir`: `%AppData%` on Windows, `~/Library/Application Support` on
    /// macOS, else `$XDG_CONFIG_HOME` when absolute, else `~/.config`.
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
            // Go refuses a relative XDG_CONFIG_HOME (no config dir at all).
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
        crate::select::files::read_small(path).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn config_dir_as_go_finds_it() {
        let home = GvrHome::at("/g", "/c");
        let p = Probe::with_vars(home.clone(), "/".into(), [("HOME", "/home/u")]);
        assert_eq!(p.user_config_dir(), Some("/home/u/.config".into()));
        let p = Probe::with_vars(
            home.clone(),
            "/".into(),
            [("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/x")],
        );
        assert_eq!(p.user_config_dir(), Some("/x".into()));
        let p = Probe::with_vars(
            home,
            "/".into(),
            [("HOME", "/home/u"), ("XDG_CONFIG_HOME", "rel")],
        );
        assert_eq!(p.user_config_dir(), None);
    }
}

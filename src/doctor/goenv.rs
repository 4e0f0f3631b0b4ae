//! Go's configuration as the go command resolves it: the environment, then go's env
//! file (`go env -w`: `$GOENV`, else `os.UserConfigDir()/go/env`; `GOENV=off` disables
//! it), then `$GOROOT/go.env` of the SDK that runs.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::context::Probe;
use crate::fsutil::write_atomic;
use crate::toolchain::GvrSet;

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env,
    EnvFile(PathBuf),
    GoRootEnv(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => f.write_str("the environment"),
            Source::EnvFile(p) => write!(f, "go's env file {}", p.display()),
            Source::GoRootEnv(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A variable's effective value and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: String,
    pub source: Source,
}

/// The layers below the environment, read once.
#[derive(Debug, Clone, Default)]
pub struct GoEnv {
    /// Go's env file, when enabled (it may not exist).
    pub file: Option<PathBuf>,
    file_vars: Vec<(String, String)>,
    goroot_env: Option<PathBuf>,
    goroot_vars: Vec<(String, String)>,
}

impl GoEnv {
    /// Reads go's env file and the `go.env` of `goroot` (the SDK selected here).
    pub fn load(probe: &Probe, goroot: Option<&Path>) -> GoEnv {
        let file = env_file_path(probe);
        let file_vars = file
            .as_deref()
            .and_then(|p| probe.read(p))
            .map(|t| parse(&t))
            .unwrap_or_default();
        let goroot_env = goroot.map(|r| r.join("go.env"));
        let goroot_vars = goroot_env
            .as_deref()
            .and_then(|p| probe.read(p))
            .map(|t| parse(&t))
            .unwrap_or_default();
        GoEnv {
            file,
            file_vars,
            goroot_env,
            goroot_vars,
        }
    }

    /// The value in go's env file (last line wins, as go reads it).
    pub fn file_value(&self, key: &str) -> Option<Value> {
        let file = self.file.as_ref()?;
        lookup(&self.file_vars, key).map(|v| Value {
            value: v.to_string(),
            source: Source::EnvFile(file.clone()),
        })
    }

    /// The user's own value in the environment: not empty and not one an outer gvr shim
    /// set for its workspace.
    pub fn env_value(probe: &Probe, key: &str) -> Option<Value> {
        let marker = GvrSet::from_process(probe.process);
        marker.users_own(key, probe.var(key)).map(|v| Value {
            value: v.to_string_lossy().into_owned(),
            source: Source::Env,
        })
    }

    /// Environment, then go's env file.
    pub fn user_value(&self, probe: &Probe, key: &str) -> Option<Value> {
        GoEnv::env_value(probe, key).or_else(|| self.file_value(key))
    }

    /// Environment, then go's env file, then `$GOROOT/go.env`.
    pub fn effective(&self, probe: &Probe, key: &str) -> Option<Value> {
        self.user_value(probe, key).or_else(|| {
            let path = self.goroot_env.as_ref()?;
            lookup(&self.goroot_vars, key).map(|v| Value {
                value: v.to_string(),
                source: Source::GoRootEnv(path.clone()),
            })
        })
    }
}

/// Where `go env -w` writes: `$GOENV` (`off`: nowhere), else
/// `os.UserConfigDir()/go/env`.
pub fn env_file_path(probe: &Probe) -> Option<PathBuf> {
    match probe.var_str("GOENV") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => probe.user_config_dir().map(|d| d.join("go").join("env")),
    }
}

/// `KEY=VALUE` lines as the go command reads its env files: blank and `#` lines skipped,
/// key and value trimmed.
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn lookup<'a>(vars: &'a [(String, String)], key: &str) -> Option<&'a str> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Removes every `KEY=` line for `keys` from go's env file, atomically; returns the
/// lines removed (nothing is written when there are none).
pub fn remove_keys(path: &Path, keys: &[&str]) -> io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    let mut removed = Vec::new();
    let mut kept = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let key = line.split_once('=').map(|(k, _)| k.trim());
        if key.is_some_and(|k| keys.contains(&k)) {
            removed.push(line.trim_end().to_string());
        } else {
            kept.push_str(line);
        }
    }
    if !removed.is_empty() {
        write_atomic(path, kept.as_bytes())?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::super::context::VarsProcess;
    use super::*;
    use crate::home::GvrHome;

    #[test]
    fn environment_then_env_file_then_goroot_go_env() {
        let t = tempfile::tempdir().unwrap();
        let envfile = t.path().join("env");
        std::fs::write(
            &envfile,
            "GOTOOLCHAIN=go1.21.0\nGOPROXY=off\nGOPROXY=direct\n",
        )
        .unwrap();
        let goroot = t.path().join("sdk");
        std::fs::create_dir_all(&goroot).unwrap();
        std::fs::write(
            goroot.join("go.env"),
            "# defaults\nGOTOOLCHAIN=auto\nGOSUMDB=sum.golang.org\n",
        )
        .unwrap();
        let process = VarsProcess {
            vars: [("GOENV", envfile.as_os_str()), ("GOSUMDB", "off".as_ref())]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_os_string()))
                .collect(),
            cwd: "/".into(),
        };
        let probe = Probe::new(&process, GvrHome::at("/g", "/c"), "/".into());
        let env = GoEnv::load(&probe, Some(&goroot));
        let v = env.effective(&probe, "GOTOOLCHAIN").unwrap();
        assert_eq!(v.value, "go1.21.0");
        assert_eq!(v.source, Source::EnvFile(envfile.clone()));
        assert_eq!(env.effective(&probe, "GOPROXY").unwrap().value, "direct");
        assert_eq!(
            env.effective(&probe, "GOSUMDB").unwrap().source,
            Source::Env
        );
        let process = VarsProcess {
            vars: [("GOENV".to_string(), "off".into())].into_iter().collect(),
            cwd: "/".into(),
        };
        let probe = Probe::new(&process, GvrHome::at("/g", "/c"), "/".into());
        let env = GoEnv::load(&probe, Some(&goroot));
        let v = env.effective(&probe, "GOTOOLCHAIN").unwrap();
        assert_eq!(v.value, "auto");
        assert_eq!(v.source, Source::GoRootEnv(goroot.join("go.env")));
    }

    #[test]
    fn remove_keys_keeps_other_lines() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("env");
        std::fs::write(&p, "GOPRIVATE=x\nGOTOOLCHAIN=go1.21.0\nGOROOT=/old\n").unwrap();
        let removed = remove_keys(&p, &["GOTOOLCHAIN", "GOROOT"]).unwrap();
        assert_eq!(removed, ["GOTOOLCHAIN=go1.21.0", "GOROOT=/old"]);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "GOPRIVATE=x\n");
    }
}

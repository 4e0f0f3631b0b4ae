//! The settings saved with `go env -w`: the user's choices as much as environment
//! variables are, so gvr leaves those alone too.

use std::path::PathBuf;

use crate::env_var::{EnvValue, EnvVar};
use crate::process::{config_dir, Process};

/// Where `go env -w` keeps its settings: `$GOENV` (`off`: nowhere), else
/// `<config dir>/go/env`.
pub fn go_env_path(p: &dyn Process) -> Option<PathBuf> {
    match p.var_non_empty("GOENV") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => config_dir(p).map(|d| d.join("go").join("env")),
    }
}

/// The settings saved with `go env -w` (`$GOENV`, default `<config dir>/go/env`): the
/// user's choices as much as environment variables are, so gvr leaves those alone too.
pub struct GoEnvFile {
    path: Option<PathBuf>,
    text: String,
}

impl GoEnvFile {
    /// Reads the file if it exists: one small read, usually a failed open.
    pub fn load(p: &dyn Process) -> GoEnvFile {
        let path = go_env_path(p);
        let text = path
            .as_ref()
            .and_then(|file| p.read_small(file).ok())
            .unwrap_or_default();
        GoEnvFile { path, text }
    }

    /// A non-empty value of `key`, as the go command reads the file (last one wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.text
            .lines()
            .filter_map(|l| l.trim().split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
            .next_back()
            .filter(|v| !v.is_empty())
    }

    pub fn untouched(&self, name: &'static str) -> EnvVar {
        let file = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        EnvVar {
            name,
            value: EnvValue::Untouched,
            why: format!(
                "set by you in go's env file {file} (`go env -w`): go reads it from there"
            ),
        }
    }
}

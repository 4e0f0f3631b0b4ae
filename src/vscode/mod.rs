//! VS Code settings for vscode-go: where the files are (as VS Code finds them), what
//! the extension's schema defines, and a merge that writes gvr's settings into a JSONC
//! file keeping its comments, order and other keys.

mod schema;

use std::io;
use std::path::{Path, PathBuf};

use jsonc_parser::cst::{CstInputValue, CstRootNode};
use jsonc_parser::ParseOptions;

pub use schema::{is_go_setting, is_gopls_setting, schema, Schema};

use crate::doctor::Probe;
use crate::fsutil::write_atomic;

/// The workspace settings file, relative to a workspace folder.
pub const WORKSPACE_SETTINGS: &str = ".vscode/settings.json";

#[derive(Debug, thiserror::Error)]
pub enum VscodeError {
    #[error("cannot read {}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} is not valid JSON with comments: {message}; fix it by hand, gvr edits only files it can parse", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{} holds {found}, not a settings object; fix it by hand", path.display())]
    NotAnObject { path: PathBuf, found: &'static str },
    #[error("cannot write {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot tell where VS Code keeps user settings: set HOME (or APPDATA on Windows)")]
    NoUserDir,
}

/// VS Code's user settings files that exist, one per product (VS Code, Insiders,
/// VSCodium), found as VS Code finds its user-data dir: `$VSCODE_PORTABLE/user-data`,
/// else `$VSCODE_APPDATA`, else `%APPDATA%` (Windows), `~/Library/Application Support`
/// (macOS), `$XDG_CONFIG_HOME` or `~/.config` (Linux); then `<product>/User/settings.json`.
pub fn user_settings_files(probe: &Probe) -> Vec<PathBuf> {
    let candidates = user_settings_candidates(probe);
    candidates.into_iter().filter(|p| p.is_file()).collect()
}

/// Where `gvr vscode --user` writes: the first existing user settings file, else
/// stable VS Code's.
pub fn user_settings_target(probe: &Probe) -> Result<PathBuf, VscodeError> {
    let all = user_settings_candidates(probe);
    all.iter()
        .find(|p| p.is_file())
        .or(all.first())
        .cloned()
        .ok_or(VscodeError::NoUserDir)
}

fn user_settings_candidates(probe: &Probe) -> Vec<PathBuf> {
    if let Some(portable) = probe.var_str("VSCODE_PORTABLE") {
        return vec![Path::new(&portable).join("user-data/User/settings.json")];
    }
    let appdata = probe
        .var_str("VSCODE_APPDATA")
        .map(PathBuf::from)
        .or_else(|| {
            if cfg!(windows) {
                probe.var_str("APPDATA").map(PathBuf::from)
            } else if cfg!(target_os = "macos") {
                probe
                    .user_home()
                    .map(|h| h.join("Library/Application Support"))
            } else {
                probe
                    .var_str("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .or_else(|| probe.user_home().map(|h| h.join(".config")))
            }
        });
    let Some(appdata) = appdata else {
        return Vec::new();
    };
    ["Code", "Code - Insiders", "VSCodium"]
        .iter()
        .map(|product| appdata.join(product).join("User").join("settings.json"))
        .collect()
}

/// The nearest `.vscode/settings.json` in `dir` or above.
pub fn find_workspace_settings(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(WORKSPACE_SETTINGS))
        .find(|p| p.is_file())
}

fn parse_options() -> ParseOptions {
    ParseOptions::default()
}

/// Reads a settings file as JSON (comments and trailing commas allowed). An empty file
/// is an empty object, as VS Code takes it.
pub fn read_settings(
    path: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>, VscodeError> {
    let text = std::fs::read_to_string(path).map_err(|source| VscodeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_settings(path, &text)
}

fn parse_settings(
    path: &Path,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, VscodeError> {
    let value: Option<serde_json::Value> =
        jsonc_parser::parse_to_serde_value(text, &parse_options()).map_err(|e| {
            VscodeError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })?;
    match value {
        None => Ok(serde_json::Map::new()),
        Some(serde_json::Value::Object(m)) => Ok(m),
        Some(other) => Err(VscodeError::NotAnObject {
            path: path.to_path_buf(),
            found: match other {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            },
        }),
    }
}

/// The settings that make vscode-go use gvr: the shims as its `go` and `gopls` (tools
/// named there are never installed or updated by the extension), and no tool update
/// checks or automatic updates.
pub fn gvr_settings(shims: &Path) -> Vec<(&'static str, CstInputValue)> {
    let exe = std::env::consts::EXE_SUFFIX;
    let tool = |t: &str| {
        shims
            .join(format!("{t}{exe}"))
            .to_string_lossy()
            .into_owned()
    };
    vec![
        (
            "go.alternateTools",
            CstInputValue::Object(vec![
                ("go".into(), CstInputValue::String(tool("go"))),
                ("gopls".into(), CstInputValue::String(tool("gopls"))),
            ]),
        ),
        ("go.toolsManagement.autoUpdate", CstInputValue::Bool(false)),
        (
            "go.toolsManagement.checkForUpdates",
            CstInputValue::String("off".into()),
        ),
    ]
}

/// `text` with gvr's settings merged in: existing keys updated in place, missing ones
/// appended, everything else (comments, order, other keys, other `go.alternateTools`
/// entries) kept.
pub fn merge(path: &Path, text: &str, shims: &Path) -> Result<String, VscodeError> {
    parse_settings(path, text)?;
    let root = CstRootNode::parse(text, &parse_options()).map_err(|e| VscodeError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let obj = root.object_value_or_set();
    for (key, value) in gvr_settings(shims) {
        match value {
            CstInputValue::Object(entries) => {
                let inner = obj.object_value_or_set(key);
                for (k, v) in entries {
                    match inner.get(&k) {
                        Some(prop) => prop.set_value(v),
                        None => {
                            inner.append(&k, v);
                        }
                    }
                }
            }
            scalar => match obj.get(key) {
                Some(prop) => prop.set_value(scalar),
                None => {
                    obj.append(key, scalar);
                }
            },
        }
    }
    let mut out = root.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// What [`write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// The previous contents' copy, when there were any and they changed.
    pub backup: Option<PathBuf>,
    /// Whether the file changed (false: it already had gvr's settings).
    pub changed: bool,
}

/// The backup of `path` made before gvr changes it.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".gvr-backup");
    path.with_file_name(name)
}

/// Merges gvr's settings into `path` (created if missing), keeping a backup of the old
/// contents; does nothing when they are already there.
pub fn write(path: &Path, shims: &Path) -> Result<Written, VscodeError> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(VscodeError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let new = merge(path, old.as_deref().unwrap_or(""), shims)?;
    if old.as_deref() == Some(new.as_str()) {
        return Ok(Written {
            path: path.to_path_buf(),
            backup: None,
            changed: false,
        });
    }
    let werr = |source| VscodeError::Write {
        path: path.to_path_buf(),
        source,
    };
    let backup = match &old {
        Some(text) => {
            let b = backup_path(path);
            write_atomic(&b, text.as_bytes()).map_err(werr)?;
            Some(b)
        }
        None => None,
    };
    write_atomic(path, new.as_bytes()).map_err(werr)?;
    Ok(Written {
        path: path.to_path_buf(),
        backup,
        changed: true,
    })
}

#[cfg(test)]
mod tests;

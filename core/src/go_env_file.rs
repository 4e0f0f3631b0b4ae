//! Go's own settings as the go command layers them: the environment, then go's env
//! file (`go env -w`: `$GOENV`, else `<os.UserConfigDir>/go/env`; `GOENV=off`: none),
//! then `$GOROOT/go.env` of the SDK that runs. The user's choices in the file count as
//! much as environment variables do, so gvr leaves those alone too.
//!
//! The one reader of these files: selection, the shims' environment, doctor and the
//! module proxy settings all ask here.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::env_var::{EnvValue, EnvVar};
use crate::gvr_set::GvrSet;
use crate::process::Process;

/// Where `go env -w` keeps its settings: `$GOENV` (`off`: nowhere), else
/// `<os.UserConfigDir>/go/env`.
pub fn go_env_path(p: &dyn Process) -> Option<PathBuf> {
    match p.var_non_empty("GOENV") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => go_user_config_dir(p).map(|d| d.join("go").join("env")),
    }
}

/// Go's `os.UserConfigDir`, which differs from the XDG rule gvr uses for its own
/// directories: a relative `$XDG_CONFIG_HOME` is an error (so go reads no env file),
/// not a reason to fall back to `~/.config`.
pub fn go_user_config_dir(p: &dyn Process) -> Option<PathBuf> {
    if cfg!(windows) {
        return p.var_non_empty("AppData").map(PathBuf::from);
    }
    if cfg!(target_os = "macos") {
        let home = p.var_non_empty("HOME").map(PathBuf::from);
        return home.map(|h| h.join("Library").join("Application Support"));
    }
    match p.var_non_empty("XDG_CONFIG_HOME") {
        Some(x) => Some(PathBuf::from(x)).filter(|d| d.is_absolute()),
        None => p
            .var_non_empty("HOME")
            .map(|h| PathBuf::from(h).join(".config")),
    }
}

/// `KEY=VALUE` lines exactly as the go command reads its env files: only lines that
/// start with `A`-`Z` and have an `=` count (comments and anything else are skipped),
/// and nothing is trimmed.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.split('\n')
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The last non-empty value of `key` (the last line wins, as go reads the file).
fn lookup<'a>(vars: &'a [(String, String)], key: &str) -> Option<&'a str> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Go's env file, read once.
pub struct GoEnvFile {
    path: Option<PathBuf>,
    vars: Vec<(String, String)>,
}

impl GoEnvFile {
    /// Reads the file if it exists: one small read, usually a failed open.
    pub fn load(p: &dyn Process) -> GoEnvFile {
        let path = go_env_path(p);
        let vars = path
            .as_ref()
            .and_then(|file| p.read_small(file).ok())
            .map(|t| parse(&t))
            .unwrap_or_default();
        GoEnvFile { path, vars }
    }

    /// Where the file is (or would be); `None` with `GOENV=off`.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A non-empty value of `key`, as the go command reads the file (last one wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        lookup(&self.vars, key)
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

/// Go's settings in their three layers: the environment (read on each ask, through
/// the process), go's env file and `$GOROOT/go.env` (both read once by `load`).
pub struct GoEnv {
    file: GoEnvFile,
    goroot_env: Option<PathBuf>,
    goroot_vars: Vec<(String, String)>,
}

impl GoEnv {
    /// Reads go's env file and the `go.env` of `goroot` (the SDK that would run).
    pub fn load(p: &dyn Process, goroot: Option<&Path>) -> GoEnv {
        let goroot_env = goroot.map(|r| r.join("go.env"));
        let goroot_vars = goroot_env
            .as_deref()
            .and_then(|f| p.read_small(f).ok())
            .map(|t| parse(&t))
            .unwrap_or_default();
        GoEnv {
            file: GoEnvFile::load(p),
            goroot_env,
            goroot_vars,
        }
    }

    /// Go's env file: where it is, and its values alone.
    pub fn file(&self) -> &GoEnvFile {
        &self.file
    }

    /// The value in go's env file.
    pub fn file_value(&self, key: &str) -> Option<Value> {
        let path = self.file.path()?;
        self.file.get(key).map(|v| Value {
            value: v.to_string(),
            source: Source::EnvFile(path.to_path_buf()),
        })
    }

    /// The user's own value in the environment: not empty and not one an outer gvr
    /// shim set for its workspace.
    pub fn env_value(p: &dyn Process, key: &str) -> Option<Value> {
        GvrSet::from_process(p)
            .users_own(key, p.var_os(key))
            .map(|v| Value {
                value: v.to_string_lossy().into_owned(),
                source: Source::Env,
            })
    }

    /// The user's choice: the environment, then go's env file.
    pub fn user_value(&self, p: &dyn Process, key: &str) -> Option<Value> {
        GoEnv::env_value(p, key).or_else(|| self.file_value(key))
    }

    /// What go uses: the environment, then go's env file, then `$GOROOT/go.env`.
    pub fn effective(&self, p: &dyn Process, key: &str) -> Option<Value> {
        self.user_value(p, key).or_else(|| {
            let path = self.goroot_env.as_ref()?;
            lookup(&self.goroot_vars, key).map(|v| Value {
                value: v.to_string(),
                source: Source::GoRootEnv(path.clone()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::TestEnv;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_env_file_is_where_go_looks_for_it() {
        let path = |vars: &[(&str, &str)]| go_env_path(&TestEnv::of(vars));
        assert_eq!(
            path(&[("HOME", "/home/u")]),
            Some("/home/u/.config/go/env".into())
        );
        assert_eq!(
            path(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/x")]),
            Some("/x/go/env".into())
        );
        assert_eq!(
            path(&[("GOENV", "/e"), ("HOME", "/home/u")]),
            Some("/e".into())
        );
        assert_eq!(path(&[("GOENV", "off"), ("HOME", "/home/u")]), None);
        // os.UserConfigDir refuses a relative XDG_CONFIG_HOME, so go reads no env file
        // at all (it does not fall back to ~/.config as the XDG spec would).
        assert_eq!(
            path(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "rel")]),
            None
        );
    }

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
        let p = TestEnv::of(&[("GOENV", envfile.to_str().unwrap()), ("GOSUMDB", "off")]);
        let env = GoEnv::load(&p, Some(&goroot));
        let v = env.effective(&p, "GOTOOLCHAIN").unwrap();
        assert_eq!(v.value, "go1.21.0");
        assert_eq!(v.source, Source::EnvFile(envfile.clone()));
        assert_eq!(env.effective(&p, "GOPROXY").unwrap().value, "direct");
        assert_eq!(env.effective(&p, "GOSUMDB").unwrap().source, Source::Env);
        assert_eq!(env.user_value(&p, "GONOSUMDB"), None);

        let p = TestEnv::of(&[("GOENV", "off")]);
        let env = GoEnv::load(&p, Some(&goroot));
        let v = env.effective(&p, "GOTOOLCHAIN").unwrap();
        assert_eq!(v.value, "auto");
        assert_eq!(v.source, Source::GoRootEnv(goroot.join("go.env")));
        assert_eq!(env.user_value(&p, "GOTOOLCHAIN"), None);
    }

    #[test]
    fn lines_are_read_exactly_as_go_reads_them() {
        // cmd/go's readEnvFile: a line counts only when it starts with A-Z and has an
        // `=`; nothing is trimmed, so a padded key is another key, and the last line
        // for a key wins.
        let vars =
            parse("# c\n GOWORK=/indented\nGOPROXY = spaced\nGOFLAGS=-x \nGOWORK=/a\nGOWORK=/b\n");
        assert_eq!(lookup(&vars, "GOWORK"), Some("/b"));
        assert_eq!(lookup(&vars, "GOPROXY"), None);
        assert_eq!(lookup(&vars, "GOFLAGS"), Some("-x "));
    }
}

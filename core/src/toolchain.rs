//! An SDK ready to run: where its binaries are and the environment a tool gets
//! (DESIGN §5). The shims and `gvr exec` build their commands here, so both behave alike.

pub mod launch;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::home::GvrHome;
use crate::select::{Selected, Selection};
use crate::version::GoVersion;
use crate::workspace::{CachePolicy, Workspace};

/// The counter that turns a loop of shims into an error.
pub const SHIM_DEPTH_VAR: &str = "GVR_SHIM_DEPTH";
/// Legitimate nesting is shallow (the SDK's `bin` comes first on PATH, so `go` calling
/// `go` never goes through a shim); this many shims in a row is a loop.
pub const MAX_SHIM_DEPTH: u32 = 8;

/// Lists the variables gvr itself set, with a fingerprint of each value, so a nested
/// shim, `gvr exec` or `gvr env` recomputes them for its own directory instead of
/// keeping an outer workspace's values as the user's. A value changed since (by the
/// user) no longer matches its fingerprint and counts as the user's again.
pub const GVR_SET_VAR: &str = "GVR_SET";

/// The variables the marker tracks: the ones gvr keeps when the user set them.
const TRACKED: [&str; 4] = ["GOROOT", "GOTOOLCHAIN", "GOWORK", "GOCACHE"];

/// The tools gvr puts in its shims directory.
pub const SHIMMED_TOOLS: [&str; 3] = ["go", "gofmt", "gopls"];

#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error(
        "gvr's shims ran each other {depth} times in a row ({SHIM_DEPTH_VAR}={depth}): something on PATH named like a Go tool leads back to a shim; check PATH (gvr's shims dir must not be copied elsewhere) and any `system` pin"
    )]
    Recursion { depth: u32 },
    #[error("`{tool}` is not a tool gvr shims (it runs go and gofmt from the selected SDK and the pinned gopls)")]
    NotShimmed { tool: String },
    #[error("{tool} is missing from Go {version}: {} does not exist; reinstall it with `gvr install {version}`", path.display())]
    MissingTool {
        tool: String,
        version: String,
        path: PathBuf,
    },
    /// Boxed: the gopls error is large and this type is on the shim's hot path.
    #[error(transparent)]
    Gopls(Box<crate::gopls::LookupError>),
    #[error("gopls needs a gvr-installed Go: the selected go is the system one; pin a version or set GVR_GOPLS_VERSION")]
    GoplsOnSystemGo,
}

impl From<crate::gopls::LookupError> for ToolchainError {
    fn from(e: crate::gopls::LookupError) -> Self {
        ToolchainError::Gopls(Box::new(e))
    }
}

impl ToolchainError {
    /// The exit code a shim uses: 127 (as shells do) when the tool is absent.
    pub fn exit_code(&self) -> u8 {
        match self {
            ToolchainError::NotShimmed { .. } | ToolchainError::MissingTool { .. } => 127,
            ToolchainError::Recursion { .. }
            | ToolchainError::Gopls(_)
            | ToolchainError::GoplsOnSystemGo => 1,
        }
    }
}

/// The selected SDK: its directories and the selection that chose it.
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub selection: Selection,
    /// `None` for a system go whose layout does not reveal its GOROOT; the go binary
    /// then finds its own (and a stale GOROOT is removed).
    pub goroot: Option<PathBuf>,
    /// The directory holding `go` and `gofmt`.
    pub bin_dir: PathBuf,
}

impl Toolchain {
    pub fn new(home: &GvrHome, selection: Selection) -> Toolchain {
        let (goroot, bin_dir) = match &selection.version {
            Selected::Version(v) => {
                let root = home.version_dir(v);
                (Some(root.clone()), root.join("bin"))
            }
            Selected::System(sys) => match &sys.goroot {
                Some(root) => (Some(root.clone()), root.join("bin")),
                None => (
                    None,
                    sys.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                ),
            },
        };
        Toolchain {
            selection,
            goroot,
            bin_dir,
        }
    }

    pub fn version(&self) -> Option<&GoVersion> {
        self.selection.go_version()
    }

    /// `<bin>/<tool>` (with `.exe` on Windows), whether or not it exists.
    pub fn tool_path(&self, tool: &str) -> PathBuf {
        self.bin_dir
            .join(format!("{tool}{}", std::env::consts::EXE_SUFFIX))
    }

    /// The environment a tool gets here, each variable with the reason. `current`
    /// reads this process's environment.
    pub fn env(
        &self,
        ws: &Workspace,
        current: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Vec<EnvVar>, ToolchainError> {
        let marker = GvrSet::from_env(&current);
        let user = |k: &str| marker.users_own(k, current(k));
        // A value an outer gvr set that no longer applies here is removed.
        let inherited = |k: &str| current(k).is_some_and(|v| marker.set_by_gvr(k, &v));
        let drop_inherited = |mut var: EnvVar| {
            if var.value == EnvValue::Untouched && inherited(var.name) {
                var.value = EnvValue::Unset;
                var.why
                    .push_str(" (removes the value gvr set for another workspace)");
            }
            var
        };
        let mut vars = self.core_env(&current, &marker)?;
        let saved = GoEnvFile::load(&current);

        vars.push(drop_inherited(
            match (user("GOTOOLCHAIN"), saved.get("GOTOOLCHAIN")) {
                (Some(v), _) => EnvVar::kept("GOTOOLCHAIN", v, "set by you"),
                (None, Some(_)) => saved.untouched("GOTOOLCHAIN"),
                (None, None) => EnvVar::set(
                    "GOTOOLCHAIN",
                    "local",
                    "so go.mod cannot make go download another toolchain behind gvr's back",
                ),
            },
        ));
        match (user("GOWORK"), &ws.gowork) {
            (Some(v), _) => vars.push(EnvVar::kept("GOWORK", v, "set by you")),
            (None, Some(work)) => {
                vars.push(EnvVar::set("GOWORK", work, "the go.work of this workspace"))
            }
            (None, None) if inherited("GOWORK") => vars.push(EnvVar {
                name: "GOWORK",
                value: EnvValue::Unset,
                why: "no go.work applies here (removes the one gvr set for another workspace)"
                    .into(),
            }),
            (None, None) => {}
        }
        vars.push(drop_inherited(match (user("GOCACHE"), ws.cache_policy) {
            (Some(v), _) => EnvVar::kept("GOCACHE", v, "set by you"),
            (None, _) if saved.get("GOCACHE").is_some() => saved.untouched("GOCACHE"),
            (None, CachePolicy::Shared) => EnvVar {
                name: "GOCACHE",
                value: EnvValue::Untouched,
                why: "GVR_GOCACHE=shared: go's default cache".into(),
            },
            (None, CachePolicy::PerWorkspace) => EnvVar::set(
                "GOCACHE",
                &ws.gocache,
                format!("this workspace's cache (root {})", ws.root.display()),
            ),
        }));
        vars.extend(marker.next(&vars, &current));
        Ok(vars)
    }

    /// The part of [`Toolchain::env`] a `go<version>` entry sets: GOROOT, PATH, the
    /// recursion counter and `GVR_GO_*`. Everything else was set by whatever ran it.
    pub fn base_env(
        &self,
        current: &impl Fn(&str) -> Option<OsString>,
    ) -> Result<Vec<EnvVar>, ToolchainError> {
        let marker = GvrSet::from_env(current);
        let mut vars = self.core_env(current, &marker)?;
        vars.extend(marker.next(&vars, current));
        Ok(vars)
    }

    /// GOROOT, PATH, the recursion counter, GVR_GO_VERSION and GVR_GO_ORIGIN.
    fn core_env(
        &self,
        current: &impl Fn(&str) -> Option<OsString>,
        marker: &GvrSet,
    ) -> Result<Vec<EnvVar>, ToolchainError> {
        let depth = next_shim_depth(current(SHIM_DEPTH_VAR).as_deref())?;
        let stale = marker.users_own("GOROOT", current("GOROOT"));
        let goroot = match (&self.goroot, stale) {
            (Some(root), Some(old)) if Path::new(&old) != root => EnvVar::set(
                "GOROOT",
                root,
                format!(
                    "the selected SDK (overrides GOROOT={})",
                    Path::new(&old).display()
                ),
            ),
            (Some(root), _) => EnvVar::set("GOROOT", root, "the selected SDK"),
            (None, _) => EnvVar {
                name: "GOROOT",
                value: EnvValue::Unset,
                why: "the system go finds its own".into(),
            },
        };
        let path = prepend_path(&self.bin_dir, current("PATH").as_deref());
        Ok(vec![
            goroot,
            EnvVar::set(
                "PATH",
                path,
                format!(
                    "{} first, so nested go calls use the same SDK",
                    self.bin_dir.display()
                ),
            ),
            EnvVar::set(SHIM_DEPTH_VAR, depth.to_string(), "recursion guard"),
            EnvVar::set(
                "GVR_GO_VERSION",
                self.version()
                    .map_or_else(|| "system".to_string(), |v| v.to_string()),
                "the selected version",
            ),
            EnvVar::set(
                "GVR_GO_ORIGIN",
                self.selection.origin.to_string(),
                "why that version",
            ),
        ])
    }

    /// A command for `program` with `args` and the environment `vars` applied.
    pub fn command<I, S>(program: &Path, args: I, vars: &[EnvVar]) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(program);
        cmd.args(args);
        apply_env(&mut cmd, vars);
        cmd
    }
}

/// The binary a shim named `tool` runs for this toolchain in `cwd` (the directory the
/// selection was made for; gopls pins are looked up from there). The single place that
/// maps a tool name to a file, so pinned tools (gopls) can be added here.
pub fn resolve_tool(
    home: &GvrHome,
    toolchain: &Toolchain,
    tool: &str,
    cwd: &Path,
) -> Result<PathBuf, ToolchainError> {
    match tool {
        "go" | "gofmt" => {
            let path = toolchain.tool_path(tool);
            if path.is_file() {
                Ok(path)
            } else {
                Err(ToolchainError::MissingTool {
                    tool: tool.to_string(),
                    version: toolchain.selection.version.to_string(),
                    path,
                })
            }
        }
        "gopls" => {
            let go = toolchain.version().ok_or(ToolchainError::GoplsOnSystemGo)?;
            Ok(crate::gopls::pinned_binary(home, cwd, go)?.0)
        }
        _ => Err(ToolchainError::NotShimmed {
            tool: tool.to_string(),
        }),
    }
}

/// `GVR_SHIM_DEPTH` + 1, or the recursion error once it reaches the limit. An
/// unreadable value counts as 0.
pub fn next_shim_depth(current: Option<&OsStr>) -> Result<u32, ToolchainError> {
    let depth = current
        .and_then(|v| v.to_str())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if depth >= MAX_SHIM_DEPTH {
        return Err(ToolchainError::Recursion { depth });
    }
    Ok(depth + 1)
}

/// `dir` followed by `path` without other copies of `dir`, so repeated nesting does not
/// grow PATH.
pub fn prepend_path(dir: &Path, path: Option<&OsStr>) -> OsString {
    let rest = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|p| p != dir);
    // join_paths fails only on entries containing the separator; those came from the
    // user's PATH unchanged, so keep it verbatim after ours.
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(rest)).unwrap_or_else(|_| {
        let mut s = dir.as_os_str().to_owned();
        if let Some(p) = path {
            s.push(if cfg!(windows) { ";" } else { ":" });
            s.push(p);
        }
        s
    })
}

/// Where `go env -w` keeps its settings: `$GOENV` (`off`: nowhere), else
/// `<config dir>/go/env`.
pub fn go_env_path(current: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    match current("GOENV").filter(|v| !v.is_empty()) {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => dirs::config_dir().map(|d| d.join("go").join("env")),
    }
}

/// The parsed `GVR_SET` marker: `NAME:<fingerprint>,…` for each tracked variable gvr
/// set (see [`GVR_SET_VAR`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GvrSet {
    entries: Vec<(String, u64)>,
}

impl GvrSet {
    pub fn from_env(current: &impl Fn(&str) -> Option<OsString>) -> GvrSet {
        let Some(value) = current(GVR_SET_VAR) else {
            return GvrSet::default();
        };
        let entries = value
            .to_string_lossy()
            .split(',')
            .filter_map(|item| {
                let (name, hash) = item.split_once(':')?;
                Some((name.to_string(), u64::from_str_radix(hash, 16).ok()?))
            })
            .collect();
        GvrSet { entries }
    }

    /// Whether `name=value` is exactly what gvr set.
    pub fn set_by_gvr(&self, name: &str, value: &OsStr) -> bool {
        let fp = fingerprint(value);
        self.entries.iter().any(|(n, h)| n == name && *h == fp)
    }

    /// `value` of `name` if it is the user's: not empty and not what gvr set.
    pub fn users_own(&self, name: &str, value: Option<OsString>) -> Option<OsString> {
        value.filter(|v| !v.is_empty() && !self.set_by_gvr(name, v))
    }

    /// The marker to export along with `vars`: the tracked variables they set, plus those
    /// they leave alone that an outer gvr set and nobody changed.
    fn next(&self, vars: &[EnvVar], current: &impl Fn(&str) -> Option<OsString>) -> Option<EnvVar> {
        let mut text = String::new();
        for name in TRACKED {
            let fp = match vars.iter().find(|v| v.name == name) {
                Some(EnvVar {
                    value: EnvValue::Set(v),
                    ..
                }) => Some(fingerprint(v)),
                Some(_) => None,
                None => current(name)
                    .filter(|v| self.set_by_gvr(name, v))
                    .map(|v| fingerprint(&v)),
            };
            if let Some(fp) = fp {
                if !text.is_empty() {
                    text.push(',');
                }
                text.push_str(&format!("{name}:{fp:016x}"));
            }
        }
        let why = "what gvr set, so a nested shim or `gvr exec` recomputes it instead of keeping it as yours";
        if !text.is_empty() {
            Some(EnvVar::set(GVR_SET_VAR, text, why))
        } else if current(GVR_SET_VAR).is_some() {
            Some(EnvVar {
                name: GVR_SET_VAR,
                value: EnvValue::Unset,
                why: why.into(),
            })
        } else {
            None
        }
    }
}

fn fingerprint(value: &OsStr) -> u64 {
    fnv1a(value.as_encoded_bytes())
}

/// 64-bit FNV-1a: stable across builds (what `gvr` writes, a shim built apart from it
/// reads: the `GVR_SET` marker, the fast shim's record names), and cheap on the
/// shim's path.
pub fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The settings saved with `go env -w` (`$GOENV`, default `<config dir>/go/env`): the
/// user's choices as much as environment variables are, so gvr leaves those alone too.
struct GoEnvFile {
    path: Option<PathBuf>,
    text: String,
}

impl GoEnvFile {
    /// Reads the file if it exists: one small read, usually a failed open.
    fn load(current: &impl Fn(&str) -> Option<OsString>) -> GoEnvFile {
        let path = go_env_path(current);
        let text = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        GoEnvFile { path, text }
    }

    /// A non-empty value of `key`, as the go command reads the file (last one wins).
    fn get(&self, key: &str) -> Option<&str> {
        self.text
            .lines()
            .filter_map(|l| l.trim().split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
            .next_back()
            .filter(|v| !v.is_empty())
    }

    fn untouched(&self, name: &'static str) -> EnvVar {
        let file = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        EnvVar {
            name,
            value: EnvValue::Untouched,
            why: format!("set by you with `go env -w` ({file}): go reads it from there"),
        }
    }
}

/// One variable of the tool's environment and why it has that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: EnvValue,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// gvr sets it to this.
    Set(OsString),
    /// gvr removes it.
    Unset,
    /// The user's value, left alone.
    Kept(OsString),
    /// Left to the go command (its own default or the user's `go env -w` setting).
    Untouched,
}

impl EnvVar {
    fn set(name: &'static str, value: impl AsRef<OsStr>, why: impl Into<String>) -> EnvVar {
        EnvVar {
            name,
            value: EnvValue::Set(value.as_ref().to_owned()),
            why: why.into(),
        }
    }
    fn kept(name: &'static str, value: OsString, why: impl Into<String>) -> EnvVar {
        EnvVar {
            name,
            value: EnvValue::Kept(value),
            why: why.into(),
        }
    }
}

/// Applies the sets and removals of `vars` to `cmd`.
pub fn apply_env(cmd: &mut Command, vars: &[EnvVar]) {
    for var in vars {
        match &var.value {
            EnvValue::Set(v) => {
                cmd.env(var.name, v);
            }
            EnvValue::Unset => {
                cmd.env_remove(var.name);
            }
            EnvValue::Kept(_) | EnvValue::Untouched => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::{Origin, SystemGo};
    use std::collections::HashMap;

    struct Fixture {
        _t: tempfile::TempDir,
        home: GvrHome,
        ws: Workspace,
        tc: Toolchain,
    }

    fn fixture() -> Fixture {
        let t = tempfile::tempdir().unwrap();
        let home = GvrHome::at(t.path().join("gvr"), t.path().join("cache"));
        let v: GoVersion = "1.22.10".parse().unwrap();
        std::fs::create_dir_all(home.version_dir(&v).join("bin")).unwrap();
        std::fs::write(home.version_dir(&v).join("bin/go"), "").unwrap();
        let pin = t.path().join("p/.go-version");
        let sel = Selection {
            version: Selected::Version(v),
            origin: Origin::GoVersionFile(pin),
        };
        let tc = Toolchain::new(&home, sel);
        let ws = Workspace {
            root: t.path().join("p"),
            gowork: Some(t.path().join("p/go.work")),
            gocache: home.gocache_root().join("p-0123456789ab"),
            cache_policy: CachePolicy::PerWorkspace,
        };
        Fixture {
            _t: t,
            home,
            ws,
            tc,
        }
    }

    fn env_of(f: &Fixture, user: &[(&str, &str)]) -> HashMap<&'static str, EnvValue> {
        // GOENV=off unless a test names a file: never read the developer's go env.
        let mut user: HashMap<String, OsString> = user
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        user.entry("GOENV".into()).or_insert_with(|| "off".into());
        f.tc.env(&f.ws, |k| user.get(k).cloned())
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect()
    }

    fn set(s: impl AsRef<OsStr>) -> EnvValue {
        EnvValue::Set(s.as_ref().to_owned())
    }

    #[test]
    fn defaults_follow_design_section_5() {
        let f = fixture();
        let root = f.home.version_dir(&"1.22.10".parse().unwrap());
        let e = env_of(
            &f,
            &[
                ("PATH", "/usr/bin:/bin"),
                ("GOPATH", "/gp"),
                ("GOBIN", "/gb"),
            ],
        );
        assert_eq!(e["GOROOT"], set(&root));
        assert_eq!(
            e["PATH"],
            set(format!("{}:/usr/bin:/bin", root.join("bin").display()))
        );
        assert_eq!(e["GOTOOLCHAIN"], set("local"));
        assert_eq!(e["GOWORK"], set(f.ws.gowork.as_ref().unwrap()));
        assert_eq!(e["GOCACHE"], set(&f.ws.gocache));
        assert_eq!(e["GVR_GO_VERSION"], set("1.22.10"));
        assert_eq!(e["GVR_GO_ORIGIN"], set(f.tc.selection.origin.to_string()));
        assert_eq!(e[SHIM_DEPTH_VAR], set("1"));
        assert!(!e.contains_key("GOPATH") && !e.contains_key("GOBIN"));
    }

    #[test]
    fn user_choices_are_kept_and_stale_goroot_overridden() {
        let f = fixture();
        let e = env_of(
            &f,
            &[
                ("GOTOOLCHAIN", "go1.23.4"),
                ("GOWORK", "off"),
                ("GOCACHE", "/c"),
                ("GOROOT", "/old/go"),
            ],
        );
        assert_eq!(e["GOTOOLCHAIN"], EnvValue::Kept("go1.23.4".into()));
        assert_eq!(e["GOWORK"], EnvValue::Kept("off".into()));
        assert_eq!(e["GOCACHE"], EnvValue::Kept("/c".into()));
        assert_eq!(e["GOROOT"], set(f.tc.goroot.as_ref().unwrap()));
        // Empty values are unset as far as go is concerned.
        let e = env_of(&f, &[("GOTOOLCHAIN", ""), ("GOCACHE", "")]);
        assert_eq!(e["GOTOOLCHAIN"], set("local"));
        assert_eq!(e["GOCACHE"], set(&f.ws.gocache));
    }

    #[test]
    fn go_env_w_settings_are_the_users_too() {
        let f = fixture();
        let file = f._t.path().join("go-env");
        std::fs::write(
            &file,
            "GOTOOLCHAIN=auto\nGOCACHE=/saved/cache\nGOPROXY=off\n",
        )
        .unwrap();
        let goenv = file.display().to_string();
        let e = env_of(&f, &[("GOENV", &goenv)]);
        assert_eq!(e["GOTOOLCHAIN"], EnvValue::Untouched);
        assert_eq!(e["GOCACHE"], EnvValue::Untouched);
        // The environment still beats the file, and GOENV=off ignores it.
        assert_eq!(
            env_of(&f, &[("GOENV", &goenv), ("GOTOOLCHAIN", "local")])["GOTOOLCHAIN"],
            EnvValue::Kept("local".into())
        );
        assert_eq!(env_of(&f, &[("GOENV", "off")])["GOTOOLCHAIN"], set("local"));
        std::fs::write(&file, "GOTOOLCHAIN=\n").unwrap();
        assert_eq!(
            env_of(&f, &[("GOENV", &goenv)])["GOTOOLCHAIN"],
            set("local")
        );
    }

    #[test]
    fn values_an_outer_gvr_set_are_recomputed_not_kept() {
        let f = fixture();
        // What an outer shim in workspace `p` exported.
        let mut outer: HashMap<String, OsString> =
            f.tc.env(&f.ws, |k| (k == "GOENV").then(|| "off".into()))
                .unwrap()
                .into_iter()
                .filter_map(|v| match v.value {
                    EnvValue::Set(x) => Some((v.name.to_string(), x)),
                    _ => None,
                })
                .collect();
        outer.insert("GOENV".into(), "off".into());
        assert!(outer[GVR_SET_VAR].to_str().unwrap().contains("GOWORK:"));
        // An inner shim in workspace `q`, without a go.work, with the shared cache.
        let mut q = f.ws.clone();
        q.gowork = None;
        q.cache_policy = CachePolicy::Shared;
        let inner = |outer: &HashMap<String, OsString>| -> HashMap<&'static str, EnvVar> {
            f.tc.env(&q, |k| outer.get(k).cloned())
                .unwrap()
                .into_iter()
                .map(|v| (v.name, v))
                .collect()
        };
        let e = inner(&outer);
        assert_eq!(e["GOWORK"].value, EnvValue::Unset);
        assert_eq!(e["GOCACHE"].value, EnvValue::Unset);
        assert_eq!(e["GOTOOLCHAIN"].value, set("local"));
        assert_eq!(e["GOROOT"].why, "the selected SDK");
        assert_eq!(
            e[GVR_SET_VAR].value,
            set(format!(
                "GOROOT:{:016x},GOTOOLCHAIN:{:016x}",
                fingerprint(f.tc.goroot.as_ref().unwrap().as_os_str()),
                fingerprint("local".as_ref())
            ))
        );
        // A value the user changed since is theirs again.
        outer.insert("GOWORK".into(), "off".into());
        outer.insert("GOCACHE".into(), "/mine".into());
        let e = inner(&outer);
        assert_eq!(e["GOWORK"].value, EnvValue::Kept("off".into()));
        assert_eq!(e["GOCACHE"].value, EnvValue::Kept("/mine".into()));
    }

    #[test]
    fn shared_cache_policy_and_no_go_work() {
        let mut f = fixture();
        f.ws.cache_policy = CachePolicy::Shared;
        f.ws.gowork = None;
        let e = env_of(&f, &[]);
        assert_eq!(e["GOCACHE"], EnvValue::Untouched);
        assert!(!e.contains_key("GOWORK"));
    }

    #[test]
    fn path_is_not_grown_by_nesting() {
        let f = fixture();
        let bin = f.tc.bin_dir.display().to_string();
        let e = env_of(&f, &[("PATH", &format!("/a:{bin}:/b"))]);
        assert_eq!(e["PATH"], set(format!("{bin}:/a:/b")));
    }

    #[test]
    fn recursion_counter() {
        let f = fixture();
        assert_eq!(
            env_of(&f, &[(SHIM_DEPTH_VAR, "3")])[SHIM_DEPTH_VAR],
            set("4")
        );
        assert_eq!(
            env_of(&f, &[(SHIM_DEPTH_VAR, "junk")])[SHIM_DEPTH_VAR],
            set("1")
        );
        let limit = MAX_SHIM_DEPTH.to_string();
        let err =
            f.tc.env(&f.ws, |k| {
                (k == SHIM_DEPTH_VAR).then(|| OsString::from(&limit))
            })
            .unwrap_err();
        assert!(matches!(err, ToolchainError::Recursion { depth } if depth == MAX_SHIM_DEPTH));
    }

    #[test]
    fn system_go_without_known_root_unsets_goroot() {
        let f = fixture();
        let sys = SystemGo {
            path: PathBuf::from("/opt/x/go"),
            goroot: None,
            version: None,
        };
        let tc = Toolchain::new(
            &f.home,
            Selection {
                origin: Origin::System(sys.path.clone()),
                version: Selected::System(sys),
            },
        );
        assert_eq!(tc.bin_dir, PathBuf::from("/opt/x"));
        let e: HashMap<_, _> = tc
            .env(&f.ws, |k| (k == "GOENV").then(|| "off".into()))
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect();
        assert_eq!(e["GOROOT"], EnvValue::Unset);
        assert_eq!(e["GVR_GO_VERSION"], set("system"));
    }

    #[test]
    fn tool_resolution() {
        let f = fixture();
        assert_eq!(
            resolve_tool(&f.home, &f.tc, "go", Path::new("/")).unwrap(),
            f.tc.bin_dir.join("go")
        );
        let e = resolve_tool(&f.home, &f.tc, "gofmt", Path::new("/")).unwrap_err();
        assert!(
            e.to_string().contains("gofmt is missing from Go 1.22.10") && e.exit_code() == 127,
            "{e}"
        );
        assert!(matches!(
            resolve_tool(&f.home, &f.tc, "dlv", Path::new("/")),
            Err(ToolchainError::NotShimmed { .. })
        ));
    }

    #[test]
    fn gopls_is_resolved_for_the_given_directory() {
        let f = fixture();
        let proj = tempfile::tempdir().unwrap();
        std::fs::write(proj.path().join(crate::gopls::PIN_FILE), "v0.19.1\n").unwrap();
        let go = f.tc.version().unwrap();
        let bin = crate::gopls::build_binary_path(&f.home, &"v0.19.1".parse().unwrap(), go);
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, "").unwrap();
        // The pin in `proj`, not in this process's current directory, decides.
        assert_eq!(
            resolve_tool(&f.home, &f.tc, "gopls", proj.path()).unwrap(),
            bin
        );
    }
}

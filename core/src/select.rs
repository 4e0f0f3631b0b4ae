//! Which Go applies in a directory, and why.
//!
//! Precedence: `GVR_VERSION`, then the nearest `.go-version` / `.tool-versions`, then
//! the global default `$GVR_HOME/version`, then `system` (the first `go` on PATH that
//! gvr does not manage). A default (global or system) gives way to what the go.work /
//! go.mod in effect requires, as the go command itself would switch; an explicit pin
//! (env or file) is obeyed exactly. Every [`Selection`] carries its [`Origin`], which
//! explains itself in messages.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::home::GvrHome;
use crate::pin_file::{parse_go_directives, parse_go_version};
use crate::process::{OsProcess, Process};
use crate::version::{GoVersion, VersionSpec};

pub use crate::here::{Here, PinFile, PinKind, ProjectFiles, UnreadableFile};
/// The pin-file grammar, under its old name.
pub use crate::pin_file as files;
pub use crate::pin_file::GoDirectives;

/// The version selected for a directory and where that choice came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub version: Selected,
    pub origin: Origin,
}

/// What was selected: an SDK gvr installed, or a `go` found on PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    Version(GoVersion),
    System(SystemGo),
}

/// A `go` on PATH that gvr does not manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemGo {
    /// The `go` binary as found on PATH.
    pub path: PathBuf,
    /// Its GOROOT when the layout says so (`<root>/bin/go` next to `<root>/VERSION`).
    pub goroot: Option<PathBuf>,
    /// From `<root>/VERSION`, when readable.
    pub version: Option<GoVersion>,
}

/// Why a version was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `GVR_VERSION` environment variable.
    Env,
    /// A command-line option such as `gvr exec --version`.
    CommandLine,
    /// A `go<version>` entry in the shims dir was run by that name (how the go
    /// command's `GOTOOLCHAIN=go1.22.10` reaches gvr's SDK).
    Entry(String),
    GoVersionFile(PathBuf),
    ToolVersions(PathBuf),
    /// The global default file.
    Global(PathBuf),
    /// Nothing pinned: the first `go` on PATH (the path of that binary).
    System(PathBuf),
    /// A default (global or system) was older than what the go.work / go.mod in effect
    /// requires, so gvr selected what the go command would switch to.
    GoMod {
        path: PathBuf,
        directive: Directive,
        required: GoVersion,
        default: Box<Selection>,
    },
}

/// The line of a go.mod / go.work that raised the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    Toolchain,
    Go,
}

impl Origin {
    /// Explicit pins are obeyed exactly; defaults may be raised by go.work / go.mod.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            Origin::Env
                | Origin::CommandLine
                | Origin::Entry(_)
                | Origin::GoVersionFile(_)
                | Origin::ToolVersions(_)
        )
    }

    /// The file behind this origin, if there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::Env | Origin::CommandLine | Origin::Entry(_) => None,
            Origin::GoVersionFile(p)
            | Origin::ToolVersions(p)
            | Origin::Global(p)
            | Origin::System(p) => Some(p),
            Origin::GoMod { path, .. } => Some(path),
        }
    }

    /// A short machine-friendly name (`gvr current --json`).
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::Env => "env",
            Origin::CommandLine => "command-line",
            Origin::Entry(_) => "toolchain-entry",
            Origin::GoVersionFile(_) => "go-version-file",
            Origin::ToolVersions(_) => "tool-versions",
            Origin::Global(_) => "global",
            Origin::System(_) => "system",
            Origin::GoMod {
                directive: Directive::Toolchain,
                ..
            } => "toolchain-line",
            Origin::GoMod {
                directive: Directive::Go,
                ..
            } => "go-line",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env => f.write_str("set by GVR_VERSION"),
            Origin::CommandLine => f.write_str("set by --version"),
            Origin::Entry(name) => write!(f, "run as {name}"),
            Origin::GoVersionFile(p) | Origin::ToolVersions(p) => {
                write!(f, "set by {}", p.display())
            }
            Origin::Global(p) => write!(f, "the global default, set by {}", p.display()),
            Origin::System(p) => write!(
                f,
                "the system go at {}: nothing pinned and no global default",
                p.display()
            ),
            Origin::GoMod {
                path,
                directive,
                required,
                default,
            } => {
                match directive {
                    Directive::Toolchain => {
                        write!(f, "required by the toolchain line of {}", path.display())?
                    }
                    Directive::Go => write!(
                        f,
                        "required by the go line (go {required}) of {}",
                        path.display()
                    )?,
                }
                match (&default.origin, &default.version) {
                    (Origin::Global(_), Selected::Version(v)) => {
                        write!(f, "; the global default {v} is older")
                    }
                    (_, Selected::System(s)) => match &s.version {
                        Some(v) => write!(f, "; the system go {v} is older"),
                        None => f.write_str("; the system go is older"),
                    },
                    (_, Selected::Version(v)) => write!(f, "; the default {v} is older"),
                }
            }
        }
    }
}

impl Selection {
    /// The version when known (an installed SDK, or a system go with a VERSION file).
    pub fn go_version(&self) -> Option<&GoVersion> {
        match &self.version {
            Selected::Version(v) => Some(v),
            Selected::System(s) => s.version.as_ref(),
        }
    }
}

impl fmt::Display for Selected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selected::Version(v) => write!(f, "{v}"),
            Selected::System(SystemGo {
                version: Some(v), ..
            }) => write!(f, "system ({v})"),
            Selected::System(_) => f.write_str("system"),
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version, self.origin)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("Go {spec} is not installed ({origin}); run `gvr install {spec}`")]
    NotInstalled {
        spec: VersionSpec,
        origin: Box<Origin>,
    },
    #[error("{} says `{text}`, which is not a Go version; write one like 1.22.10 there (`gvr local 1.22.10`)", path.display())]
    BadPin { path: PathBuf, text: String },
    #[error("GVR_VERSION=`{text}` is not a Go version; set it to one like 1.22.10, or unset it")]
    BadEnv { text: String },
    #[error("{} names no Go version; write one there (`gvr local 1.22.10`) or delete it", path.display())]
    EmptyPin { path: PathBuf },
    #[error("{origin} asks for the system go, but there is no `go` on PATH outside gvr's shims")]
    NoSystemGo { origin: Box<Origin> },
    #[error(
        "no Go version is selected for {}: GVR_VERSION is unset, there is no .go-version or .tool-versions here or above, no global default ({}) and no `go` on PATH outside gvr's shims; {hint}",
        cwd.display(), global.display()
    )]
    NothingSelected {
        cwd: PathBuf,
        global: PathBuf,
        hint: String,
    },
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<UnreadableFile> for SelectError {
    fn from(e: UnreadableFile) -> Self {
        SelectError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

impl SelectError {
    /// For a version that is missing, what `gvr install` should be asked for.
    pub fn missing_spec(&self) -> Option<&VersionSpec> {
        match self {
            SelectError::NotInstalled { spec, .. } => Some(spec),
            _ => None,
        }
    }
}

/// Selects the Go for `here` by the rules above.
pub fn select(home: &GvrHome, here: &Here) -> Result<Selection, SelectError> {
    select_with(home, here, None)
}

/// Like [`select`], but an `override_spec` (e.g. `gvr exec --version`) wins over
/// everything, as an explicit pin.
pub fn select_with(
    home: &GvrHome,
    here: &Here,
    override_spec: Option<&VersionSpec>,
) -> Result<Selection, SelectError> {
    if let Some(spec) = override_spec {
        return resolve(home, here, spec, Origin::CommandLine);
    }
    if let Some(text) = &here.gvr_version {
        let spec = text
            .parse()
            .map_err(|_| SelectError::BadEnv { text: text.clone() })?;
        return resolve(home, here, &spec, Origin::Env);
    }
    if let Some(pin) = &here.files.pin {
        let origin = match pin.kind {
            PinKind::GoVersion => Origin::GoVersionFile(pin.path.clone()),
            PinKind::ToolVersions => Origin::ToolVersions(pin.path.clone()),
        };
        let spec = pin_spec(&pin.path, pin.text.as_deref())?;
        return resolve(home, here, &spec, origin);
    }
    let default = default_selection(home, here)?;
    raise_to_requirements(home, here, default)
}

/// The global default if set, else the system go.
fn default_selection(home: &GvrHome, here: &Here) -> Result<Selection, SelectError> {
    let global = home.global_version_file();
    match here.process.read_small(&global) {
        Ok(text) => {
            let spec = pin_spec(&global, parse_go_version(&text).as_deref())?;
            return resolve(home, here, &spec, Origin::Global(global));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(SelectError::Io {
                path: global,
                source,
            })
        }
    }
    match find_system_go_in(here.process, home, here.path.as_deref()) {
        Some(sys) => Ok(Selection {
            origin: Origin::System(sys.path.clone()),
            version: Selected::System(sys),
        }),
        None => Err(SelectError::NothingSelected {
            cwd: here.cwd.clone(),
            global,
            hint: nothing_selected_hint(here.process, home),
        }),
    }
}

fn nothing_selected_hint(p: &dyn Process, home: &GvrHome) -> String {
    match home
        .installed_versions_in(p)
        .ok()
        .and_then(|v| v.into_iter().next())
    {
        Some(newest) => format!("run `gvr global {newest}` (or `gvr local {newest}` here)"),
        None => "run `gvr install latest`, then `gvr global latest`".to_string(),
    }
}

/// Parses the version text of a pin file.
fn pin_spec(path: &Path, text: Option<&str>) -> Result<VersionSpec, SelectError> {
    let text = text.ok_or_else(|| SelectError::EmptyPin {
        path: path.to_path_buf(),
    })?;
    text.parse().map_err(|_| SelectError::BadPin {
        path: path.to_path_buf(),
        text: text.to_string(),
    })
}

/// Turns a spec into an installed version: exact must be installed, a prefix or
/// `latest` takes the newest installed match, `system` the system go.
pub fn resolve(
    home: &GvrHome,
    here: &Here,
    spec: &VersionSpec,
    origin: Origin,
) -> Result<Selection, SelectError> {
    let version = match spec {
        VersionSpec::System => match find_system_go_in(here.process, home, here.path.as_deref()) {
            Some(sys) => Selected::System(sys),
            None => {
                return Err(SelectError::NoSystemGo {
                    origin: Box::new(origin),
                })
            }
        },
        // By equality, not spelling: a pin of `1.20.0` runs `versions/1.20`.
        VersionSpec::Exact(v) => {
            match home
                .find_installed_in(here.process, v)
                .map_err(|source| SelectError::Io {
                    path: home.versions_dir(),
                    source,
                })? {
                Some(found) => Selected::Version(found),
                None => {
                    return Err(SelectError::NotInstalled {
                        spec: spec.clone(),
                        origin: Box::new(origin),
                    })
                }
            }
        }
        VersionSpec::Prefix { .. } | VersionSpec::Latest => {
            let installed = installed(here.process, home)?;
            match spec.pick(&installed) {
                Some(v) => Selected::Version(v.clone()),
                None => {
                    return Err(SelectError::NotInstalled {
                        spec: spec.clone(),
                        origin: Box::new(origin),
                    })
                }
            }
        }
    };
    Ok(Selection { version, origin })
}

fn installed(p: &dyn Process, home: &GvrHome) -> Result<Vec<GoVersion>, SelectError> {
    home.installed_versions_in(p)
        .map_err(|source| SelectError::Io {
            path: home.versions_dir(),
            source,
        })
}

/// The go command's own toolchain switch (cmd/go/internal/toolchain) applied to a
/// default selection: a `toolchain` line newer than the default selects that
/// toolchain; else a `go` line newer than it selects the newest installed release at
/// or above that line.
fn raise_to_requirements(
    home: &GvrHome,
    here: &Here,
    default: Selection,
) -> Result<Selection, SelectError> {
    // A system go of unknown version cannot be compared; the go command decides.
    let Some(current) = default.go_version().cloned() else {
        return Ok(default);
    };
    let Some(path) = here.go_requirements_file() else {
        return Ok(default);
    };
    let text = here
        .process
        .read_small(&path)
        .map_err(|source| SelectError::Io {
            path: path.clone(),
            source,
        })?;
    let lines = parse_go_directives(&text);
    let go_floor = lines.go.as_ref().map(GoVersion::as_release_floor);

    // A toolchain line below the go line is invalid; the go line then rules.
    let toolchain = lines
        .toolchain
        .filter(|t| go_floor.as_ref().is_none_or(|g| t >= g));
    if let Some(t) = toolchain.filter(|t| *t > current) {
        let origin = Origin::GoMod {
            path,
            directive: Directive::Toolchain,
            required: t.clone(),
            default: Box::new(default),
        };
        return resolve(home, here, &VersionSpec::Exact(t), origin);
    }
    let (Some(go_line), Some(floor)) = (lines.go, go_floor) else {
        return Ok(default);
    };
    if floor <= current {
        return Ok(default);
    }
    let installed = installed(here.process, home)?;
    let newer: Vec<&GoVersion> = installed.iter().filter(|v| **v >= floor).collect();
    let best = newer
        .iter()
        .copied()
        .filter(|v| v.is_stable())
        .max()
        .or_else(|| newer.iter().copied().max());
    let origin = Origin::GoMod {
        path,
        directive: Directive::Go,
        required: go_line.clone(),
        default: Box::new(default),
    };
    match best {
        Some(v) => Ok(Selection {
            version: Selected::Version(v.clone()),
            origin,
        }),
        None => {
            // Suggest the newest release of the required minor, which satisfies the line.
            let spec = if go_line.is_stable() {
                VersionSpec::Prefix {
                    major: go_line.major(),
                    minor: Some(go_line.minor()),
                }
            } else {
                VersionSpec::Exact(go_line.clone())
            };
            Err(SelectError::NotInstalled {
                spec,
                origin: Box::new(origin),
            })
        }
    }
}

/// The first `go` on PATH that is neither one of gvr's shims nor one of its SDKs.
pub fn find_system_go(home: &GvrHome, path_var: Option<&OsStr>) -> Option<SystemGo> {
    find_system_go_in(&OsProcess, home, path_var)
}

/// [`find_system_go`], read through `p`.
pub fn find_system_go_in(
    p: &dyn Process,
    home: &GvrHome,
    path_var: Option<&OsStr>,
) -> Option<SystemGo> {
    let path_var = path_var?;
    let shims = home.shims_dir();
    let versions = home.versions_dir();
    let shims_canon = p.canonicalize(&shims).ok();
    let go_exe = format!("go{}", std::env::consts::EXE_SUFFIX);
    for dir in std::env::split_paths(path_var) {
        // Relative PATH entries are ignored, as the go command does.
        if !dir.is_absolute() || dir == shims || dir.starts_with(&versions) {
            continue;
        }
        let candidate = dir.join(&go_exe);
        if !is_executable(p, &candidate) {
            continue;
        }
        if shims_canon.is_some() && p.canonicalize(&dir).ok() == shims_canon {
            continue;
        }
        return Some(describe_system_go(p, candidate));
    }
    None
}

/// Finds the GOROOT and version of a `go` binary from its layout (following symlinks,
/// as in `/usr/bin/go -> /usr/lib/go-1.22/bin/go`), without running it.
pub fn describe_system_go(p: &dyn Process, path: PathBuf) -> SystemGo {
    let root = p
        .canonicalize(&path)
        .ok()
        .and_then(|real| real.parent()?.parent().map(Path::to_path_buf))
        .filter(|root| p.is_file(&root.join("VERSION")));
    let version = root.as_ref().and_then(|r| {
        let text = p.read_small(&r.join("VERSION")).ok()?;
        text.lines().next()?.trim().parse().ok()
    });
    SystemGo {
        path,
        goroot: root,
        version,
    }
}

#[cfg(unix)]
fn is_executable(p: &dyn Process, path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata(path)
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &dyn Process, path: &Path) -> bool {
    p.is_file(path)
}

#[cfg(test)]
mod tests;

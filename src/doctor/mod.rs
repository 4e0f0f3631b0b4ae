//! `gvr doctor`: every way a machine can make the editor, gopls, the `go` on PATH,
//! GOROOT, go.work and GOTOOLCHAIN disagree, each found as the go command and VS Code
//! would find it, with a stable id, a status, a one-line summary and the fix.
//!
//! The checks only read (through [`Probe`]; `caches` creates and removes one probe file
//! to learn whether a directory is writable); the safe fixes they offer are described
//! by [`Fix`] and applied by the command, which prints each one.

pub mod context;
pub mod goenv;

mod gopls_check;
mod home_check;
mod path_check;
mod selection_check;
mod settings_check;
mod tools_env;
mod workspace_check;

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use context::Probe;
pub use goenv::GoEnv;
pub(crate) use gopls_check::support_problem as gopls_support_problem;

use crate::select::{self, GoDirectives, Here, SelectError, Selection};
use crate::toolchain::Toolchain;

/// Every check, in the order they are reported.
pub const CHECK_IDS: [&str; 11] = [
    "shims-on-path",
    "selected-installed",
    "goroot",
    "gotoolchain",
    "go-line",
    "gowork",
    "gopls",
    "vscode",
    "goproxy",
    "caches",
    "gvr-home",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Error,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Error => "error",
        })
    }
}

/// A fix doctor may apply by itself with `--fix`: each is safe to repeat and touches
/// only gvr's own files, go's env file or VS Code settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// `gvr` with these arguments (`rehash`, `install 1.22.6`, `gopls install …`, `vscode`).
    Gvr(Vec<String>),
    /// Remove the lines setting these variables from go's env file.
    RemoveEnvLines { file: PathBuf, keys: Vec<String> },
    /// Remove what dead processes left in `$GVR_HOME/tmp`.
    CleanStaging(PathBuf),
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fix::Gvr(args) => write!(f, "gvr {}", args.join(" ")),
            Fix::RemoveEnvLines { file, keys } => {
                write!(f, "remove {} from {}", keys.join(", "), file.display())
            }
            Fix::CleanStaging(dir) => {
                write!(f, "remove dead processes' leftovers in {}", dir.display())
            }
        }
    }
}

/// One check's finding.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub summary: String,
    /// What to do: a command or an exact edit. `None` when all is well.
    pub fix: Option<String>,
    /// The part of the fix `--fix` may apply.
    #[serde(skip)]
    pub actions: Vec<Fix>,
}

impl Check {
    pub fn ok(id: &'static str, summary: impl Into<String>) -> Check {
        Check {
            id,
            status: Status::Ok,
            summary: summary.into(),
            fix: None,
            actions: Vec::new(),
        }
    }
    pub fn warn(id: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::problem(id, Status::Warn, summary, fix)
    }
    pub fn error(id: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::problem(id, Status::Error, summary, fix)
    }
    fn problem(
        id: &'static str,
        status: Status,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            id,
            status,
            summary: summary.into(),
            fix: Some(fix.into()),
            actions: Vec::new(),
        }
    }
    pub fn with_action(mut self, fix: Fix) -> Check {
        self.actions.push(fix);
        self
    }

    /// Several findings of one check as one: the worst status; summaries and fixes
    /// joined; every action kept.
    fn merge(id: &'static str, ok_summary: String, found: Vec<Check>) -> Check {
        let problems: Vec<Check> = found
            .into_iter()
            .filter(|c| c.status != Status::Ok)
            .collect();
        if problems.is_empty() {
            return Check::ok(id, ok_summary);
        }
        let status = problems
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok);
        let summary = problems
            .iter()
            .map(|c| c.summary.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let mut fixes: Vec<String> = Vec::new();
        for f in problems.iter().filter_map(|c| c.fix.as_deref()) {
            if !f.is_empty() && !fixes.iter().any(|x| x == f) {
                fixes.push(f.to_string());
            }
        }
        let mut actions: Vec<Fix> = Vec::new();
        for a in problems.into_iter().flat_map(|c| c.actions) {
            if !actions.contains(&a) {
                actions.push(a);
            }
        }
        Check {
            id,
            status,
            summary,
            fix: Some(fixes.join("; ")),
            actions,
        }
    }
}

/// What the selection came to here, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionInfo {
    /// The selected version (`system` for a system go), when selection succeeded or
    /// failed only because it is not installed.
    pub version: Option<String>,
    /// Why: the origin in words.
    pub origin: Option<String>,
    /// A short machine-friendly origin kind.
    pub origin_kind: Option<String>,
    pub installed: bool,
    /// The GOROOT the shims use, when installed.
    pub goroot: Option<PathBuf>,
    /// Why nothing could be selected.
    pub error: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dir: PathBuf,
    pub selection: SelectionInfo,
    pub checks: Vec<Check>,
}

impl Report {
    /// The worst status of all checks.
    pub fn worst(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
    }
}

/// Options of one doctor run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also ask the module proxy whether it answers.
    pub network: bool,
}

/// What several checks share, worked out once.
pub(crate) struct Facts<'a> {
    pub probe: &'a Probe<'a>,
    pub here: Option<Here<'a>>,
    pub selection: Result<Selection, SelectError>,
    pub toolchain: Option<Toolchain>,
    pub goenv: GoEnv,
    /// The go.work (else go.mod) in effect and its `go` / `toolchain` lines.
    pub requirements: Option<(PathBuf, GoDirectives)>,
}

impl<'a> Facts<'a> {
    pub fn gather(probe: &'a Probe<'a>) -> Facts<'a> {
        let (here, selection) = match Here::new(probe.process, probe.cwd.clone()) {
            Ok(h) => {
                let s = select::select(&probe.home, &h);
                (Some(h), s)
            }
            // A pin file here that cannot be read: selected-installed reports it.
            Err(e) => (
                None,
                Err(SelectError::Io {
                    path: e.path,
                    source: e.source,
                }),
            ),
        };
        let toolchain = selection
            .as_ref()
            .ok()
            .map(|s| Toolchain::new(&probe.home, s.clone()));
        let goroot = toolchain.as_ref().and_then(|t| t.goroot.clone());
        let goenv = GoEnv::load(probe, goroot.as_deref());
        let requirements = here
            .as_ref()
            .and_then(Here::go_requirements_file)
            .and_then(|p| {
                let text = probe.read(&p)?;
                Some((p, select::files::parse_go_directives(&text)))
            });
        Facts {
            probe,
            here,
            selection,
            toolchain,
            goenv,
            requirements,
        }
    }

    fn selection_info(&self) -> SelectionInfo {
        match &self.selection {
            Ok(s) => SelectionInfo {
                version: Some(s.version.to_string()),
                origin: Some(s.origin.to_string()),
                origin_kind: Some(s.origin.kind().to_string()),
                installed: true,
                goroot: self.toolchain.as_ref().and_then(|t| t.goroot.clone()),
                error: None,
            },
            Err(SelectError::NotInstalled { spec, origin }) => SelectionInfo {
                version: Some(spec.to_string()),
                origin: Some(origin.to_string()),
                origin_kind: Some(origin.kind().to_string()),
                installed: false,
                goroot: None,
                error: Some(self.selection.as_ref().unwrap_err().to_string()),
            },
            Err(e) => SelectionInfo {
                version: None,
                origin: None,
                origin_kind: None,
                installed: false,
                goroot: None,
                error: Some(e.to_string()),
            },
        }
    }
}

/// Runs every check for the probe's directory.
pub fn run(probe: &Probe<'_>, opts: &Options) -> Report {
    let facts = Facts::gather(probe);
    let checks = vec![
        path_check::shims_on_path(&facts),
        selection_check::selected_installed(&facts),
        selection_check::goroot(&facts),
        selection_check::gotoolchain(&facts),
        selection_check::go_line(&facts),
        workspace_check::gowork(&facts),
        gopls_check::gopls(&facts),
        settings_check::vscode(&facts),
        tools_env::goproxy(&facts, opts),
        tools_env::caches(&facts),
        home_check::gvr_home(&facts),
    ];
    debug_assert!(checks.iter().map(|c| c.id).eq(CHECK_IDS));
    Report {
        dir: probe.cwd.clone(),
        selection: facts.selection_info(),
        checks,
    }
}

#[cfg(test)]
pub(crate) mod testkit;

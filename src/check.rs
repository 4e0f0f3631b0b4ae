//! `gvr check`: the repository-level checks for pre-commit and CI. Every `.go-version`,
//! `.tool-versions` and `.gopls-version` parses; no go.mod / go.work `go` or `toolchain`
//! line is newer than the Go pinned for its directory; go.work `use` paths exist; a
//! pinned gopls suits the pinned Go. Fast: one walk, only these small files read.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::gopls::{GoplsVersion, PIN_FILE as GOPLS_PIN_FILE};
use crate::gowork::parse_uses;
use crate::select::files::{
    parse_go_directives, parse_go_version, parse_tool_versions, read_small, GO_MOD_FILE,
    GO_VERSION_FILE, GO_WORK_FILE, TOOL_VERSIONS_FILE,
};
use crate::version::{GoVersion, VersionSpec};

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The directory whose tree `gvr check` checks: the enclosing git repository's root,
/// else `dir` itself.
pub fn repo_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// Directories never walked: VCS data, dependencies, and what the go command ignores.
fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('_')
        || matches!(name, "vendor" | "node_modules" | "testdata")
}

/// The Go a pin file pins, as a spec, and the line it is on.
#[derive(Debug, Clone)]
struct GoPin {
    spec: VersionSpec,
    path: PathBuf,
}

struct Walk {
    problems: Vec<Problem>,
}

/// Checks the tree under `root`.
pub fn check(root: &Path) -> Vec<Problem> {
    let mut w = Walk {
        problems: Vec::new(),
    };
    // The pin above the root applies to it too (selection walks up to /).
    let above = root.parent().and_then(pin_above);
    visit(root, above, &mut w);
    w.problems
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    w.problems
}

/// The nearest Go pin at or above `dir`, outside the tree (problems there are not
/// reported).
fn pin_above(dir: &Path) -> Option<GoPin> {
    let mut scratch = Walk {
        problems: Vec::new(),
    };
    dir.ancestors().find_map(|d| own_pin(d, &mut scratch))
}

fn problem(w: &mut Walk, path: &Path, line: usize, message: String) {
    w.problems.push(Problem {
        path: path.to_path_buf(),
        line,
        message,
    });
}

/// The 1-based line of the first line that is not blank or a comment.
fn first_meaningful_line(text: &str) -> usize {
    text.lines()
        .position(|l| !l.split('#').next().unwrap_or("").trim().is_empty())
        .map_or(1, |i| i + 1)
}

/// The Go pinned in exactly `dir` (`.go-version` wins over `.tool-versions`); a pin
/// that does not parse is reported and pins nothing.
fn own_pin(dir: &Path, w: &mut Walk) -> Option<GoPin> {
    let has = |name: &str| dir.join(name).is_file();
    pin_of(dir, has(GO_VERSION_FILE), has(TOOL_VERSIONS_FILE), w)
}

/// [`own_pin`] when the walk already knows which pin files `dir` holds.
fn pin_of(dir: &Path, go_version: bool, tool_versions: bool, w: &mut Walk) -> Option<GoPin> {
    let gv = dir.join(GO_VERSION_FILE);
    if go_version {
        let text = read_small(&gv).unwrap_or_default();
        let line = first_meaningful_line(&text);
        return match parse_go_version(&text) {
            None => {
                problem(
                    w,
                    &gv,
                    1,
                    "names no Go version; write one like 1.22.10".into(),
                );
                None
            }
            Some(v) => match v.parse::<VersionSpec>() {
                Ok(spec) => Some(GoPin { spec, path: gv }),
                Err(_) => {
                    problem(
                        w,
                        &gv,
                        line,
                        format!("`{v}` is not a Go version (write one like 1.22.10)"),
                    );
                    None
                }
            },
        };
    }
    let tv = dir.join(TOOL_VERSIONS_FILE);
    if tool_versions {
        let text = read_small(&tv).unwrap_or_default();
        let v = parse_tool_versions(&text)?;
        let line = text
            .lines()
            .position(|l| {
                let mut t = l.split_whitespace();
                matches!(t.next(), Some("golang" | "go"))
            })
            .map_or(1, |i| i + 1);
        return match v.parse::<VersionSpec>() {
            Ok(spec) => Some(GoPin { spec, path: tv }),
            Err(_) => {
                problem(
                    w,
                    &tv,
                    line,
                    format!("`{v}` is not a Go version (write one like 1.22.10)"),
                );
                None
            }
        };
    }
    None
}

/// Whether a required version is newer than what `spec` can give: for an exact pin,
/// by Go's ordering; for a `1.22` prefix, only a newer minor is known to be too new.
fn newer_than_pin(required: &GoVersion, spec: &VersionSpec) -> bool {
    match spec {
        VersionSpec::Exact(v) => required > v,
        VersionSpec::Prefix {
            major,
            minor: Some(minor),
        } => (required.major(), required.minor()) > (*major, *minor),
        VersionSpec::Prefix { major, minor: None } => required.major() > *major,
        VersionSpec::Latest | VersionSpec::System => false,
    }
}

fn check_mod_file(path: &Path, pin: Option<&GoPin>, w: &mut Walk) {
    let Ok(text) = read_small(path) else {
        problem(w, path, 1, "cannot read this file".into());
        return;
    };
    if path.file_name().is_some_and(|n| n == GO_WORK_FILE) {
        let base = path.parent().unwrap_or(Path::new("."));
        for u in parse_uses(&text) {
            let dir = base.join(&u.path);
            if !dir.is_dir() {
                problem(
                    w,
                    path,
                    u.line,
                    format!("`use {}`: the directory does not exist", u.path),
                );
            } else if !dir.join(GO_MOD_FILE).is_file() {
                problem(w, path, u.line, format!("`use {}` has no go.mod", u.path));
            } else {
                // go refuses a workspace whose go line is older than a module's
                // (a go.work without one means go 1.18).
                let work_go = parse_go_directives(&text)
                    .go
                    .or_else(|| "1.18".parse().ok());
                let module_go = read_small(&dir.join(GO_MOD_FILE))
                    .ok()
                    .and_then(|t| parse_go_directives(&t).go);
                if let (Some(m), Some(wg)) = (module_go, work_go) {
                    if m > wg {
                        problem(
                            w,
                            path,
                            u.line,
                            format!(
                                "`use {}`: its go.mod says `go {m}`, newer than `go {wg}` here; run `go work use {}`",
                                u.path, u.path
                            ),
                        );
                    }
                }
            }
        }
    }
    let Some(pin) = pin else { return };
    let d = parse_go_directives(&text);
    let line_of = |verb: &str| {
        text.lines()
            .position(|l| l.split_whitespace().next() == Some(verb))
            .map_or(1, |i| i + 1)
    };
    if let Some(go) = &d.go {
        if newer_than_pin(&go.as_release_floor(), &pin.spec) {
            problem(
                w,
                path,
                line_of("go"),
                format!(
                    "`go {go}` is newer than go{} pinned by {}",
                    pin.spec,
                    pin.path.display()
                ),
            );
        }
    }
    if let Some(t) = &d.toolchain {
        if newer_than_pin(t, &pin.spec) {
            problem(
                w,
                path,
                line_of("toolchain"),
                format!(
                    "`toolchain go{t}` is newer than go{} pinned by {}",
                    pin.spec,
                    pin.path.display()
                ),
            );
        }
    }
}

fn check_gopls_pin(path: &Path, pin: Option<&GoPin>, w: &mut Walk) {
    let text = read_small(path).unwrap_or_default();
    let line = first_meaningful_line(&text);
    let Some(token) = parse_go_version(&text) else {
        problem(
            w,
            path,
            1,
            "names no gopls version; write one like v0.20.0".into(),
        );
        return;
    };
    let Ok(gopls) = token.parse::<GoplsVersion>() else {
        problem(
            w,
            path,
            line,
            format!("`{token}` is not a gopls version (write one like v0.20.0)"),
        );
        return;
    };
    if let Some(GoPin {
        spec: VersionSpec::Exact(go),
        path: pinned_by,
    }) = pin
    {
        if let Some(why) = crate::doctor::gopls_support_problem(&gopls, go) {
            problem(
                w,
                path,
                line,
                format!(
                    "gopls {gopls} {why} (go{go} is pinned by {})",
                    pinned_by.display()
                ),
            );
        }
    }
}

fn visit(dir: &Path, inherited: Option<GoPin>, w: &mut Walk) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    // One listing per directory: the pin files are found in it, not by stat.
    let mut subdirs = Vec::new();
    let mut files = Vec::new();
    for entry in rd.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if !skipped(&name) {
                subdirs.push(entry.path());
            }
        } else {
            files.push(name);
        }
    }
    let has = |n: &str| files.iter().any(|f| f == n) && dir.join(n).is_file();
    let own = pin_of(dir, has(GO_VERSION_FILE), has(TOOL_VERSIONS_FILE), w);
    let pin = own.or(inherited);
    for name in &files {
        match name.as_str() {
            GO_MOD_FILE | GO_WORK_FILE => check_mod_file(&dir.join(name), pin.as_ref(), w),
            GOPLS_PIN_FILE => check_gopls_pin(&dir.join(name), pin.as_ref(), w),
            _ => {}
        }
    }
    subdirs.sort();
    for d in subdirs {
        visit(&d, pin.clone(), w);
    }
}

/// Where `git` keeps this repository's hooks: `.git/hooks`, or for a worktree (`.git`
/// is a file) the common directory's.
pub fn hooks_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git.join("hooks"));
    }
    let text = read_small(&dot_git).ok()?;
    let gitdir = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let gitdir = root.join(gitdir);
    let common = read_small(&gitdir.join("commondir"))
        .ok()
        .map(|c| gitdir.join(c.trim()))
        .unwrap_or(gitdir);
    Some(common.join("hooks"))
}

/// What [`install_hook`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Installed(PathBuf),
    /// The existing hook was moved aside and is run first by the new one.
    Chained {
        hook: PathBuf,
        previous: PathBuf,
    },
    AlreadyInstalled(PathBuf),
}

const HOOK_MARK: &str = "# gvr check --install-hook";
const PREVIOUS_HOOK: &str = "pre-commit.before-gvr";

/// Installs `gvr check` as the pre-commit hook in `hooks`, running `gvr` (a path). An
/// existing hook is kept: moved to `pre-commit.before-gvr` and run first.
pub fn install_hook(hooks: &Path, gvr: &Path) -> std::io::Result<HookOutcome> {
    let hook = hooks.join("pre-commit");
    let existing = std::fs::read_to_string(&hook).ok();
    if existing.as_deref().is_some_and(|t| t.contains(HOOK_MARK)) {
        return Ok(HookOutcome::AlreadyInstalled(hook));
    }
    std::fs::create_dir_all(hooks)?;
    let gvr_q = format!("'{}'", gvr.display().to_string().replace('\'', r"'\''"));
    let previous = hooks.join(PREVIOUS_HOOK);
    let mut script =
        format!("#!/bin/sh\n{HOOK_MARK}: checks Go pins, go.mod/go.work lines and gopls pins.\n");
    if existing.is_some() {
        if previous.exists() {
            return Err(std::io::Error::other(format!(
                "{} exists already; gvr will not overwrite it",
                previous.display()
            )));
        }
        std::fs::rename(&hook, &previous)?;
        script.push_str(&format!(
            "\"$(dirname \"$0\")/{PREVIOUS_HOOK}\" \"$@\" || exit $?\n"
        ));
    }
    script.push_str(&format!("exec {gvr_q} check\n"));
    crate::fsutil::write_atomic(&hook, script.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(match existing {
        Some(_) => HookOutcome::Chained { hook, previous },
        None => HookOutcome::Installed(hook),
    })
}

#[cfg(test)]
mod tests;

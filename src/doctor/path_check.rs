//! `shims-on-path`: gvr's shims dir is on PATH, holds the shims, and no other `go`,
//! `gofmt` or `gopls` comes before it.

use std::path::{Path, PathBuf};

use super::{Check, Facts, Fix, Probe};
use crate::toolchain::SHIMMED_TOOLS;

const ID: &str = "shims-on-path";

pub(super) fn shims_on_path(f: &Facts) -> Check {
    let probe = f.probe;
    let shims = probe.home.shims_dir();
    let exe = std::env::consts::EXE_SUFFIX;
    let missing: Vec<&str> = SHIMMED_TOOLS
        .iter()
        .copied()
        .filter(|t| !is_executable(&shims.join(format!("{t}{exe}"))))
        .collect();
    if !missing.is_empty() {
        return Check::error(
            ID,
            format!(
                "the shims {} are missing from {}",
                missing.join(", "),
                shims.display()
            ),
            "gvr rehash",
        )
        .with_action(Fix::Gvr(vec!["rehash".into()]));
    }
    let dirs = path_dirs(probe);
    let Some(at) = dirs.iter().position(|d| same_dir(d, &shims)) else {
        return Check::error(
            ID,
            format!("gvr's shims dir {} is not on PATH", shims.display()),
            path_line_fix(probe, &shims),
        );
    };
    let mut found = Vec::new();
    for tool in SHIMMED_TOOLS {
        if let Some(other) = first_in(&dirs[..at], tool) {
            let check = format!(
                "`{tool}` on PATH is {}, which comes before gvr's shims",
                other.display()
            );
            found.push(if tool == "gofmt" {
                Check::warn(ID, check, path_line_fix(probe, &shims))
            } else {
                Check::error(ID, check, path_line_fix(probe, &shims))
            });
        }
    }
    Check::merge(
        ID,
        format!(
            "{} is on PATH and go, gofmt and gopls resolve to its shims",
            shims.display()
        ),
        found,
    )
}

/// PATH's directories, empty entries skipped.
pub(super) fn path_dirs(probe: &Probe) -> Vec<PathBuf> {
    probe
        .var("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The first executable `tool` in `dirs`.
pub(super) fn first_in(dirs: &[PathBuf], tool: &str) -> Option<PathBuf> {
    let name = format!("{tool}{}", std::env::consts::EXE_SUFFIX);
    dirs.iter()
        .map(|d| d.join(&name))
        .find(|p| is_executable(p))
}

pub(super) fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

#[cfg(unix)]
pub(super) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(super) fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The exact line that puts `dir` first on PATH in the user's shell, and where to put
/// it. gvr never edits shell startup files itself.
pub(super) fn path_line_fix(probe: &Probe, dir: &Path) -> String {
    let shell = probe.var_str("SHELL").unwrap_or_default();
    let name = Path::new(&shell)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let d = dir.display().to_string();
    match name {
        "fish" => format!(
            "add `fish_add_path --prepend --move {}` to ~/.config/fish/config.fish",
            sh_quote(&d)
        ),
        "pwsh" | "powershell" => format!("add `$env:PATH = \"{d};\" + $env:PATH` to your $PROFILE"),
        "zsh" => format!(
            "add `export PATH={}:\"$PATH\"` as the last PATH line of ~/.zshrc",
            sh_quote(&d)
        ),
        _ => format!(
            "add `export PATH={}:\"$PATH\"` as the last PATH line of ~/.bashrc (or your shell's startup file)",
            sh_quote(&d)
        ),
    }
}

/// Quotes for POSIX shells only when needed.
pub(super) fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::Status;
    use super::*;

    #[test]
    fn healthy_when_shims_come_first() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        let c = shims_on_path(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }

    #[test]
    fn shims_not_on_path() {
        let w = World::new()
            .installed("1.22.6")
            .pinned("1.22.6")
            .path(&["/usr/bin"]);
        let c = shims_on_path(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("is not on PATH"), "{c:?}");
        assert!(c.fix.unwrap().contains("export PATH="));
    }

    #[test]
    fn a_go_before_the_shims() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        let other = w.fake_tool("other/bin", "go");
        let w = w.path_before_shims(&[other.parent().unwrap()]);
        let c = shims_on_path(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains(&other.display().to_string()), "{c:?}");
    }

    #[test]
    fn missing_shims_are_rehashed() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        std::fs::remove_file(w.home.shims_dir().join("gopls")).unwrap();
        let c = shims_on_path(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert_eq!(c.actions, [Fix::Gvr(vec!["rehash".into()])]);
    }
}

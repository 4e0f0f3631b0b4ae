//! `selected-installed`, `goroot`, `gotoolchain` and `go-line`: the Go selected here
//! exists, and nothing in the environment, go's env file or the go.work / go.mod in
//! effect makes the go command run another one.

use std::path::Path;

use super::goenv::{Source, Value};
use super::{Check, Facts, Fix};
use crate::select::{SelectError, Selected};
use crate::version::{GoVersion, VersionSpec};

pub(super) fn selected_installed(f: &Facts) -> Check {
    const ID: &str = "selected-installed";
    match &f.selection {
        Ok(sel) => match &sel.version {
            Selected::Version(v) => Check::ok(
                ID,
                format!(
                    "go{v} ({}) is installed at {}",
                    sel.origin,
                    f.probe.home.version_dir(v).display()
                ),
            ),
            Selected::System(_) => Check::ok(ID, sel.origin.to_string()),
        },
        Err(SelectError::NotInstalled { spec, origin }) => Check::error(
            ID,
            format!("go{spec} ({origin}) is not installed"),
            format!("gvr install {spec}"),
        )
        .with_action(Fix::Gvr(vec!["install".into(), spec.to_string()])),
        Err(e @ SelectError::NothingSelected { .. }) => {
            Check::error(ID, e.to_string(), "gvr install latest && gvr global latest")
        }
        Err(e @ (SelectError::BadPin { path, .. } | SelectError::EmptyPin { path })) => {
            Check::error(
                ID,
                e.to_string(),
                format!("write a version like 1.22.10 into {}", path.display()),
            )
        }
        Err(e @ SelectError::BadEnv { .. }) => Check::error(
            ID,
            e.to_string(),
            "unset GVR_VERSION or set it to a version",
        ),
        Err(e) => Check::error(ID, e.to_string(), "see the message"),
    }
}

/// The fix for a stale user setting of `key`: remove it from go's env file (applied by
/// `--fix`), or the shell line to change for the environment.
fn unset_fix(check: Check, key: &str, v: &Value) -> Check {
    match &v.source {
        Source::EnvFile(file) => Check {
            fix: Some(format!(
                "gvr doctor --fix (removes the {key} line from {}, as `go env -u {key}` does)",
                file.display()
            )),
            ..check
        }
        .with_action(Fix::RemoveEnvLines {
            file: file.clone(),
            keys: vec![key.to_string()],
        }),
        _ => Check {
            fix: Some(format!(
                "run `unset {key}` and delete the line that sets it (`export {key}=…`) from your shell startup file"
            )),
            ..check
        },
    }
}

/// A directory that looks like a Go SDK: `bin/go` next to `src/runtime` or `VERSION`.
fn is_sdk(f: &Facts, dir: &Path) -> bool {
    let go = dir
        .join("bin")
        .join(format!("go{}", std::env::consts::EXE_SUFFIX));
    f.probe.is_file(&go)
        && (f.probe.is_file(&dir.join("VERSION")) || f.probe.is_dir(&dir.join("src/runtime")))
}

pub(super) fn goroot(f: &Facts) -> Check {
    const ID: &str = "goroot";
    let selected_root = f.toolchain.as_ref().and_then(|t| t.goroot.clone());
    let Some(v) = f.goenv.user_value(f.probe, "GOROOT") else {
        return Check::ok(
            ID,
            match &selected_root {
                Some(r) => format!("GOROOT is not set; the shims set it to {}", r.display()),
                None => "GOROOT is not set; the go command finds its own".to_string(),
            },
        );
    };
    let path = Path::new(&v.value);
    if !is_sdk(f, path) {
        let c = Check::error(
            ID,
            format!(
                "GOROOT={} (from {}) is not a Go SDK: it has no bin/go",
                v.value, v.source
            ),
            "",
        );
        return unset_fix(c, "GOROOT", &v);
    }
    match selected_root {
        Some(root) if !super::path_check::same_dir(path, &root) => {
            let c = Check::warn(
                ID,
                format!(
                    "GOROOT={} (from {}) names another SDK than the selected one at {}; the shims override it, but tools started outside them (an editor, scripts) use it",
                    v.value,
                    v.source,
                    root.display()
                ),
                "",
            );
            unset_fix(c, "GOROOT", &v)
        }
        _ => Check::ok(
            ID,
            format!("GOROOT={} (from {}) is the selected SDK", v.value, v.source),
        ),
    }
}

/// A parsed GOTOOLCHAIN: `<name>[+auto|+path]`.
#[derive(Debug, PartialEq, Eq)]
enum Gotoolchain {
    Local,
    /// `auto`/`path` with an optional minimum toolchain.
    Switch {
        min: Option<GoVersion>,
        download: bool,
    },
    Exact(GoVersion),
}

fn parse_gotoolchain(value: &str) -> Option<Gotoolchain> {
    let (name, suffix) = match value.split_once('+') {
        Some((n, s)) => (n, Some(s)),
        None => (value, None),
    };
    let named = |n: &str| -> Option<Option<GoVersion>> {
        if n == "local" {
            return Some(None);
        }
        // `go1.21.0`, `go1.21.0-custom`, `gccgo-go1.20`: the version after `go`.
        let at = n.find("go1")?;
        let rest = &n[at + 2..];
        let cut = rest.find(['-', ' ', '\t']).unwrap_or(rest.len());
        rest[..cut].parse().ok().map(Some)
    };
    match (name, suffix) {
        ("auto", None) => Some(Gotoolchain::Switch {
            min: None,
            download: true,
        }),
        ("path", None) => Some(Gotoolchain::Switch {
            min: None,
            download: false,
        }),
        (n, None) => Some(match named(n)? {
            None => Gotoolchain::Local,
            Some(v) => Gotoolchain::Exact(v),
        }),
        (n, Some(s @ ("auto" | "path"))) => Some(Gotoolchain::Switch {
            min: named(n)?,
            download: s == "auto",
        }),
        _ => None,
    }
}

/// The toolchain the go.work / go.mod in effect asks for, if any, as the go command
/// computes it under `auto`: the toolchain line, else the go line as a release.
fn required_toolchain<'f>(f: &'f Facts) -> Option<(GoVersion, &'f Path)> {
    let (path, d) = f.requirements.as_ref()?;
    let go = d.go.as_ref().map(GoVersion::as_release_floor);
    let want = match (&d.toolchain, go) {
        (Some(t), Some(g)) => t.clone().max(g),
        (Some(t), None) => t.clone(),
        (None, Some(g)) => g,
        (None, None) => return None,
    };
    Some((want, path.as_path()))
}

pub(super) fn gotoolchain(f: &Facts) -> Check {
    const ID: &str = "gotoolchain";
    let Some(v) = f.goenv.user_value(f.probe, "GOTOOLCHAIN") else {
        return Check::ok(
            ID,
            "GOTOOLCHAIN is not set: the shims set GOTOOLCHAIN=local, so go runs the selected SDK",
        );
    };
    let Some(parsed) = parse_gotoolchain(&v.value) else {
        let c = Check::error(
            ID,
            format!(
                "GOTOOLCHAIN={} (from {}) is not valid: go refuses to run",
                v.value, v.source
            ),
            "",
        );
        return unset_fix(c, "GOTOOLCHAIN", &v);
    };
    let Some(sel) = f.toolchain.as_ref().and_then(|t| t.version()).cloned() else {
        return Check::ok(
            ID,
            format!(
                "GOTOOLCHAIN={} (from {}); no Go version is selected here to compare",
                v.value, v.source
            ),
        );
    };
    let how = |t: &GoVersion| {
        if f.probe
            .home
            .find_installed_in(f.probe.process, t)
            .ok()
            .flatten()
            .is_some()
        {
            format!("gvr's go{t}")
        } else {
            format!("a downloaded go{t}")
        }
    };
    let switch_to = match &parsed {
        Gotoolchain::Local => None,
        Gotoolchain::Exact(t) if *t != sel => Some((t.clone(), "makes go run".to_string())),
        Gotoolchain::Exact(_) => None,
        Gotoolchain::Switch { min, download } => {
            let from_file = required_toolchain(f).filter(|(t, _)| *t > sel);
            match (min.clone().filter(|m| *m > sel), from_file) {
                (Some(m), _) => Some((m, "raises go to".to_string())),
                (None, Some((t, file)))
                    if *download
                        || f.probe
                            .home
                            .find_installed_in(f.probe.process, &t)
                            .ok()
                            .flatten()
                            .is_some() =>
                {
                    Some((t, format!("lets {} switch go to", file.display())))
                }
                (None, Some((t, file))) => Some((
                    t,
                    format!("with {} makes go look on PATH for", file.display()),
                )),
                (None, None) => None,
            }
        }
    };
    match switch_to {
        None => Check::ok(
            ID,
            format!(
                "GOTOOLCHAIN={} (from {}) keeps the selected go{sel}",
                v.value, v.source
            ),
        ),
        Some((t, verb)) => {
            let c = Check::error(
                ID,
                format!(
                    "GOTOOLCHAIN={} (from {}) {verb} {} instead of the selected go{sel}",
                    v.value,
                    v.source,
                    how(&t)
                ),
                "",
            );
            unset_fix(c, "GOTOOLCHAIN", &v)
        }
    }
}

pub(super) fn go_line(f: &Facts) -> Check {
    const ID: &str = "go-line";
    let Some((path, d)) = &f.requirements else {
        return Check::ok(ID, "no go.work or go.mod applies here");
    };
    let Some(sel) = f.toolchain.as_ref().and_then(|t| t.version()).cloned() else {
        return Check::ok(
            ID,
            format!("{}: no Go version selected here to compare", path.display()),
        );
    };
    let installed = f
        .probe
        .home
        .installed_versions_in(f.probe.process)
        .unwrap_or_default();
    let fix_for = |need: &GoVersion| match installed.iter().filter(|v| *v >= need).min() {
        Some(v) => format!("gvr local {v} (or lower the line)"),
        None => format!(
            "gvr install {0} && gvr local {0} (or lower the line)",
            VersionSpec::Prefix {
                major: need.major(),
                minor: Some(need.minor())
            }
        ),
    };
    let mut found = Vec::new();
    if let Some(go) = &d.go {
        let floor = go.as_release_floor();
        if floor > sel {
            found.push(Check::error(
                ID,
                format!(
                    "{} says `go {go}`, newer than the selected go{sel}: go refuses it (GOTOOLCHAIN=local)",
                    path.display()
                ),
                fix_for(&floor),
            ));
        }
    }
    if let Some(t) = &d.toolchain {
        if *t > sel {
            found.push(Check::warn(
                ID,
                format!(
                    "{} says `toolchain go{t}`, newer than the selected go{sel}: GOTOOLCHAIN=local ignores it, auto would switch",
                    path.display()
                ),
                fix_for(t),
            ));
        }
    }
    let go =
        d.go.as_ref()
            .map(|g| format!("go {g}"))
            .unwrap_or_else(|| "no go line".into());
    Check::merge(
        ID,
        format!(
            "{} ({go}) is satisfied by the selected go{sel}",
            path.display()
        ),
        found,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::{Facts, Status};
    use super::*;

    fn gv(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn selected_installed_ok_and_missing() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        assert_eq!(
            selected_installed(&Facts::gather(&w.probe())).status,
            Status::Ok
        );
        let w = World::new().pinned("1.22.6");
        let c = selected_installed(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("go1.22.6"), "{c:?}");
        assert_eq!(
            c.actions,
            [Fix::Gvr(vec!["install".into(), "1.22.6".into()])]
        );
    }

    #[test]
    fn goroot_conditions() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        assert_eq!(goroot(&Facts::gather(&w.probe())).status, Status::Ok);
        let root = w.home.version_dir(&gv("1.22.6"));
        let w = w.env("GOROOT", root.as_os_str());
        assert_eq!(goroot(&Facts::gather(&w.probe())).status, Status::Ok);

        let w = World::new()
            .installed("1.22.6")
            .installed("1.21.13")
            .pinned("1.22.6");
        let other = w.home.version_dir(&gv("1.21.13"));
        let w = w.env("GOROOT", other.as_os_str());
        let c = goroot(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("1.21.13"), "{c:?}");
        assert!(c.fix.unwrap().contains("unset GOROOT"));

        let w = World::new().installed("1.22.6").pinned("1.22.6");
        let file = w.go_env_file("GOROOT=/nowhere\n");
        let c = goroot(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("not a Go SDK"), "{c:?}");
        assert_eq!(
            c.actions,
            [Fix::RemoveEnvLines {
                file,
                keys: vec!["GOROOT".into()]
            }]
        );
    }

    #[test]
    fn gotoolchain_grammar() {
        assert_eq!(parse_gotoolchain("local"), Some(Gotoolchain::Local));
        assert_eq!(
            parse_gotoolchain("go1.21.0"),
            Some(Gotoolchain::Exact(gv("1.21.0")))
        );
        assert_eq!(
            parse_gotoolchain("go1.22.1+auto"),
            Some(Gotoolchain::Switch {
                min: Some(gv("1.22.1")),
                download: true
            })
        );
        assert_eq!(
            parse_gotoolchain("path"),
            Some(Gotoolchain::Switch {
                min: None,
                download: false
            })
        );
        assert_eq!(parse_gotoolchain("go1.21.0+never"), None);
        assert_eq!(parse_gotoolchain("banana"), None);
    }

    #[test]
    fn gotoolchain_conditions() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        assert_eq!(gotoolchain(&Facts::gather(&w.probe())).status, Status::Ok);
        let file = w.go_env_file("GOTOOLCHAIN=go1.21.0\n");
        let c = gotoolchain(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("a downloaded go1.21.0"), "{c:?}");
        assert!(c.summary.contains(&file.display().to_string()), "{c:?}");
        assert_eq!(c.actions.len(), 1);

        let w = World::new().installed("1.24.11").pinned("1.24.11");
        w.write("go.mod", "module m\n\ngo 1.25.0\n");
        let w = w.env("GOTOOLCHAIN", "auto");
        let c = gotoolchain(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.summary
                .contains("go.mod switch go to a downloaded go1.25.0"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("unset GOTOOLCHAIN"));

        let w = World::new()
            .installed("1.24.11")
            .pinned("1.24.11")
            .env("GOTOOLCHAIN", "local");
        assert_eq!(gotoolchain(&Facts::gather(&w.probe())).status, Status::Ok);
    }

    #[test]
    fn go_line_conditions() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        w.write("go.mod", "module m\n\ngo 1.22\n");
        assert_eq!(go_line(&Facts::gather(&w.probe())).status, Status::Ok);
        w.write("go.work", "go 1.23.1\n\nuse .\n");
        let c = go_line(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("go.work says `go 1.23.1`"), "{c:?}");
        assert_eq!(
            c.fix.as_deref(),
            Some("gvr install 1.23 && gvr local 1.23 (or lower the line)")
        );
        w.write("go.work", "go 1.22.0\ntoolchain go1.22.9\n\nuse .\n");
        assert_eq!(go_line(&Facts::gather(&w.probe())).status, Status::Warn);
    }
}

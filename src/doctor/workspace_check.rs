//! `gowork`: the go.work in effect is usable (every `use` directory exists and holds a
//! go.mod, the module here is one of them), and GOWORK does not hide or replace it.

use std::path::{Path, PathBuf};

use super::goenv::Source;
use super::{Check, Facts, Fix};
use crate::gowork::parse_uses;
use crate::select::files::parse_go_directives;

const ID: &str = "gowork";

pub(super) fn gowork(f: &Facts) -> Check {
    let nearest = f.here.as_ref().and_then(|h| h.files.go_work.clone());
    let go_mod = f.here.as_ref().and_then(|h| h.files.go_mod.clone());
    let setting = f.goenv.user_value(f.probe, "GOWORK");
    let mut found = Vec::new();
    let mut in_effect = nearest.clone();
    if let Some(v) = &setting {
        let fix = |c: Check| {
            match &v.source {
            Source::EnvFile(file) => Check {
                fix: Some(format!(
                    "gvr doctor --fix (removes the GOWORK line from {}, as `go env -u GOWORK` does)",
                    file.display()
                )),
                ..c
            }
            .with_action(Fix::RemoveEnvLines {
                file: file.clone(),
                keys: vec!["GOWORK".into()],
            }),
            _ => Check {
                fix: Some(
                    "run `unset GOWORK` and delete the line that sets it from your shell startup file"
                        .into(),
                ),
                ..c
            },
        }
        };
        let p = Path::new(&v.value);
        match v.value.as_str() {
            "auto" => {}
            "off" => {
                in_effect = None;
                if let Some(n) = &nearest {
                    found.push(fix(Check::warn(
                        ID,
                        format!(
                            "GOWORK=off (from {}) hides {}: go and gopls see one module at a time",
                            v.source,
                            n.display()
                        ),
                        "",
                    )));
                }
            }
            _ if !p.is_absolute() => {
                in_effect = None;
                found.push(fix(Check::error(
                    ID,
                    format!(
                        "GOWORK={} (from {}) is not an absolute path: go refuses it",
                        v.value, v.source
                    ),
                    "",
                )));
            }
            _ if !f.probe.is_file(p) => {
                in_effect = None;
                found.push(fix(Check::error(
                    ID,
                    format!("GOWORK={} (from {}) does not exist", v.value, v.source),
                    "",
                )));
            }
            _ => {
                let named = p.to_path_buf();
                if let Some(n) = nearest.as_ref().filter(|n| !same_file(n, &named)) {
                    found.push(fix(Check::warn(
                        ID,
                        format!(
                            "GOWORK={} (from {}) replaces {}, the go.work here",
                            v.value,
                            v.source,
                            n.display()
                        ),
                        "",
                    )));
                }
                in_effect = Some(named);
            }
        }
    }
    let Some(work) = in_effect else {
        return Check::merge(ID, "no go.work applies here".into(), found);
    };
    let Some(text) = f.probe.read(&work) else {
        found.push(Check::error(
            ID,
            format!("cannot read {}", work.display()),
            "check its permissions",
        ));
        return Check::merge(ID, String::new(), found);
    };
    let base = work.parent().unwrap_or(Path::new("/"));
    let uses = parse_uses(&text);
    // A go.work without a go line means go 1.18.
    let work_go = parse_go_directives(&text)
        .go
        .or_else(|| "1.18".parse().ok());
    let mut modules: Vec<PathBuf> = Vec::new();
    for u in &uses {
        let dir = base.join(&u.path);
        let at = format!("{}:{}", work.display(), u.line);
        if !f.probe.is_dir(&dir) {
            found.push(Check::error(
                ID,
                format!("{at}: `use {}`: the directory does not exist", u.path),
                format!("create it or run `go work edit -dropuse={}`", u.path),
            ));
        } else if !f.probe.is_file(&dir.join("go.mod")) {
            found.push(Check::error(
                ID,
                format!("{at}: `use {}` has no go.mod", u.path),
                format!(
                    "run `go mod init` in {} or `go work edit -dropuse={}`",
                    dir.display(),
                    u.path
                ),
            ));
        } else {
            // go refuses a workspace whose go line is older than a module's.
            let module_go = f
                .probe
                .read(&dir.join("go.mod"))
                .and_then(|t| parse_go_directives(&t).go);
            if let (Some(m), Some(w)) = (&module_go, &work_go) {
                if m > w {
                    found.push(Check::error(
                        ID,
                        format!(
                            "{at}: the module in {} says `go {m}`, but {} says `go {w}`: go refuses the workspace",
                            u.path,
                            work.display()
                        ),
                        format!("go work use {} (raises the go.work go line)", u.path),
                    ));
                }
            }
            modules.push(dir);
        }
    }
    if let Some(m) = go_mod {
        let module_dir = m.parent().unwrap_or(Path::new("/")).to_path_buf();
        let inside = module_dir.starts_with(base);
        if inside && !modules.iter().any(|d| same_file(d, &module_dir)) {
            let rel = module_dir.strip_prefix(base).unwrap_or(&module_dir);
            found.push(Check::warn(
                ID,
                format!(
                    "the module at {} is not used by {}: go refuses to build it here and gopls gives it a separate view",
                    module_dir.display(),
                    work.display()
                ),
                format!("go work use ./{}", rel.display()),
            ));
        }
    }
    Check::merge(
        ID,
        format!(
            "{} applies here; its {} use {} exist with a go.mod",
            work.display(),
            uses.len(),
            if uses.len() == 1 {
                "directory"
            } else {
                "directories"
            }
        ),
        found,
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    super::path_check::same_dir(a, b)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::Status;
    use super::*;

    fn workspace() -> World {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        w.write("go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n");
        w.write("a/go.mod", "module a\n");
        w.write("b/go.mod", "module b\n");
        w
    }

    #[test]
    fn healthy_workspace() {
        let w = workspace().in_dir("a");
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.summary.contains("2 use directories"), "{c:?}");
    }

    #[test]
    fn missing_use_dir_and_missing_go_mod() {
        let w = workspace();
        w.write("go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n\t./c\n)\n");
        std::fs::remove_file(w.cwd.join("b/go.mod")).unwrap();
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.summary.contains("go.work:5: `use ./b` has no go.mod"),
            "{c:?}"
        );
        assert!(
            c.summary
                .contains("go.work:6: `use ./c`: the directory does not exist"),
            "{c:?}"
        );
    }

    #[test]
    fn a_module_newer_than_the_go_work_line() {
        let w = workspace();
        w.write("b/go.mod", "module b\n\ngo 1.22.3\n");
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.summary
                .contains("go.work:5: the module in ./b says `go 1.22.3`"),
            "{c:?}"
        );
        assert_eq!(
            c.fix.as_deref(),
            Some("go work use ./b (raises the go.work go line)")
        );
        w.write("go.work", "go 1.22.3\n\nuse (\n\t./a\n\t./b\n)\n");
        assert_eq!(gowork(&Facts::gather(&w.probe())).status, Status::Ok);
    }

    #[test]
    fn module_outside_the_use_list() {
        let w = workspace();
        w.write("c/go.mod", "module c\n");
        let w = w.in_dir("c");
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn);
        assert_eq!(c.fix.as_deref(), Some("go work use ./c"));
    }

    #[test]
    fn gowork_off_in_env_file_is_removed_by_fix() {
        let w = workspace().in_dir("a");
        let file = w.go_env_file("GOWORK=off\n");
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("GOWORK=off"), "{c:?}");
        assert_eq!(
            c.actions,
            [Fix::RemoveEnvLines {
                file,
                keys: vec!["GOWORK".into()]
            }]
        );
    }

    #[test]
    fn relative_gowork_is_an_error() {
        let w = workspace().env("GOWORK", "go.work");
        let c = gowork(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.fix.unwrap().contains("unset GOWORK"));
    }
}

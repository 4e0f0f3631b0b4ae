//! `gopls`: the gopls the shim runs here is built, by a Go at least its minimum (read
//! from the binary's build info, not its directory name), suits the selected Go per
//! gvr's table, and no other gopls shadows the shim.

use std::path::PathBuf;

use super::path_check::{first_in, path_dirs, same_dir};
use super::{Check, Facts, Fix};
use crate::buildinfo;
use crate::gopls::ordering::cmp;
use crate::gopls::{self, table, GoplsVersion, PinOrigin};
use crate::version::GoVersion;

const ID: &str = "gopls";

pub(super) fn gopls(f: &Facts) -> Check {
    let Some(go) = f.toolchain.as_ref().and_then(|t| t.version()).cloned() else {
        return Check::warn(
            ID,
            "no gvr-installed Go is selected here, so the gopls shim cannot run",
            "pin a version with `gvr local 1.X.Y` (see selected-installed)",
        );
    };
    if f.toolchain
        .as_ref()
        .is_some_and(|t| !matches!(t.selection.version, crate::select::Selected::Version(_)))
    {
        return Check::warn(
            ID,
            "the system go is selected here; the gopls shim needs a gvr-installed Go",
            "pin a version with `gvr local 1.X.Y`",
        );
    }
    let pin = match gopls::resolve_pin(f.probe.process, &f.probe.cwd, &go) {
        Ok(p) => p,
        Err(e) => return Check::error(ID, e.to_string(), "fix the pin named above"),
    };
    let mut found = Vec::new();
    let rebuild = |extra: &[&str]| {
        let mut args = gopls::install_args(&pin.version, &go);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let Some(binary) = gopls::find_build(f.probe.process, &f.probe.home, &pin.version, &go) else {
        let args = rebuild(&[]);
        return Check::error(
            ID,
            format!(
                "gopls {} ({}) is not built for go{go}",
                pin.version, pin.origin
            ),
            format!("gvr {}", args.join(" ")),
        )
        .with_action(Fix::Gvr(args));
    };
    let rebuild_fix = |c: Check| {
        let args = rebuild(&["--force"]);
        Check {
            fix: Some(format!("gvr {}", args.join(" "))),
            ..c
        }
        .with_action(Fix::Gvr(args))
    };
    let mut built_by = String::new();
    match buildinfo::read(&binary) {
        Err(e) => found.push(rebuild_fix(Check::error(ID, e.to_string(), ""))),
        Ok(info) => {
            let builder = info.go_version.as_deref().and_then(parse_go_version);
            let (min, _) = gopls::min_build_go(&pin.version);
            match &builder {
                None => found.push(rebuild_fix(Check::error(
                    ID,
                    format!(
                        "{} was built by a Go before 1.18 (its build info names no version); gopls {} needs go{min}",
                        binary.display(),
                        pin.version
                    ),
                    "",
                ))),
                Some(b) if *b < min => found.push(rebuild_fix(Check::error(
                    ID,
                    format!(
                        "{} was built by go{b}, older than the go{min} gopls {} needs",
                        binary.display(),
                        pin.version
                    ),
                    "",
                ))),
                Some(b) if (b.major(), b.minor()) < (go.major(), go.minor()) => {
                    found.push(rebuild_fix(Check::warn(
                        ID,
                        format!(
                            "{} was built by go{b}, older than the selected go{go}: it may misread go{go}'s code",
                            binary.display()
                        ),
                        "",
                    )))
                }
                Some(b) => built_by = format!(" built by go{b}"),
            }
            let version = info.main.as_ref().map(|(_, v)| v.as_str());
            if version.and_then(|v| v.parse::<GoplsVersion>().ok()) != Some(pin.version.clone()) {
                found.push(rebuild_fix(Check::error(
                    ID,
                    format!(
                        "{} says it is {} {}, not the pinned gopls {}",
                        binary.display(),
                        info.path.as_deref().unwrap_or("an unknown program"),
                        version.unwrap_or("(no version)"),
                        pin.version
                    ),
                    "",
                )));
            }
        }
    }
    if !matches!(pin.origin, PinOrigin::Table { .. }) {
        if let Some(problem) = support_problem(&pin.version, &go) {
            found.push(Check::warn(
                ID,
                format!("gopls {} ({}) {problem}", pin.version, pin.origin),
                match table::recommended(&go) {
                    Some(r) => format!("pin gvr's choice: gvr gopls pin {r}"),
                    None => "pin a gopls that supports this Go".into(),
                },
            ));
        }
    }
    let shims = f.probe.home.shims_dir();
    if let Some(first) = first_in(&path_dirs(f.probe), "gopls") {
        if !first.parent().is_some_and(|d| same_dir(d, &shims)) {
            found.push(Check::warn(
                ID,
                format!(
                    "the first gopls on PATH is {}, not gvr's shim: editors that run `gopls` get it",
                    first.display()
                ),
                super::path_check::path_line_fix(f.probe, &shims),
            ));
        }
    }
    if let Some(other) = editor_preferred_gopls(f) {
        found.push(Check::warn(
            ID,
            format!(
                "VS Code's Go extension runs {} (GOBIN/GOPATH come before PATH) unless go.alternateTools.gopls is set",
                other.display()
            ),
            "gvr vscode",
        ).with_action(Fix::Gvr(vec!["vscode".into()])));
    }
    Check::merge(
        ID,
        format!(
            "gopls {} ({}) is {}{built_by}",
            pin.version,
            pin.origin,
            binary.display()
        ),
        found,
    )
}

/// `go1.24.11`, `go1.24.11 X:boringcrypto`, `go1.25rc1`.
fn parse_go_version(text: &str) -> Option<GoVersion> {
    let v = text.strip_prefix("go")?;
    let cut = v.find([' ', '-', '\t']).unwrap_or(v.len());
    v[..cut].parse().ok()
}

/// Why a pinned gopls does not suit `go` per the table, if it does not: older than the
/// table's gopls for that Go (it predates its language), or from a later era whose
/// support window (the newest two Go releases for v0.18+, three for v0.17) has left
/// `go` behind.
pub(crate) fn support_problem(pinned: &GoplsVersion, go: &GoVersion) -> Option<String> {
    use std::cmp::Ordering::Less;
    let t = table::embedded();
    let rec = t.recommended(go)?;
    if cmp(pinned, rec) == Less {
        return Some(format!(
            "is older than {rec}, gvr's gopls for go{}: it may not understand its language",
            go.lang()
        ));
    }
    let era = t
        .recommends
        .iter()
        .filter(|r| cmp(&r.gopls, pinned) != Less)
        .map(|r| r.go.minor())
        .min()?;
    let v017: GoplsVersion = "v0.17.0".parse().ok()?;
    let v018: GoplsVersion = "v0.18.0".parse().ok()?;
    let window = if cmp(pinned, &v018) != Less {
        1
    } else if cmp(pinned, &v017) != Less {
        2
    } else {
        return None;
    };
    (go.major() == 1 && go.minor() + window < era).then(|| {
        format!(
            "supports the go command of go1.{}–1.{era} only, not go{go}",
            era - window
        )
    })
}

/// A gopls in `$GOBIN` or `$GOPATH/bin` (what vscode-go looks at before PATH), when no
/// VS Code settings file points `go.alternateTools.gopls` at gvr.
fn editor_preferred_gopls(f: &Facts) -> Option<PathBuf> {
    let bin = match f.goenv.user_value(f.probe, "GOBIN") {
        Some(v) => PathBuf::from(v.value),
        None => {
            let gopath = f
                .goenv
                .user_value(f.probe, "GOPATH")
                .map(|v| v.value)
                .and_then(|p| std::env::split_paths(&p).next())
                .or_else(|| f.probe.user_home().map(|h| h.join("go")))?;
            gopath.join("bin")
        }
    };
    let gopls = bin.join(gopls::binary_name());
    if !f.probe.is_file(&gopls) || super::settings_check::alternate_gopls_is_gvr(f) {
        return None;
    }
    Some(gopls)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::Status;
    use super::*;

    fn gv(s: &str) -> GoplsVersion {
        s.parse().unwrap()
    }

    #[test]
    fn not_built_is_fixed_by_building() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        let c = gopls(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("gopls v0.20.0"), "{c:?}");
        assert_eq!(
            c.actions,
            [Fix::Gvr(vec![
                "gopls".into(),
                "install".into(),
                "v0.20.0".into()
            ])]
        );
    }

    fn with_build(w: &World, built_by: &str, says: &str) -> PathBuf {
        let p = w
            .home
            .gopls_build_dir("v0.20.0", &"1.24.11".parse().unwrap())
            .join("gopls");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let bin = crate::buildinfo::testdata::go_binary(built_by, "golang.org/x/tools/gopls", says);
        std::fs::write(&p, bin).unwrap();
        p
    }

    #[test]
    fn healthy_build() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        let p = with_build(&w, "go1.24.11", "v0.20.0");
        let c = gopls(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.summary
                .contains(&format!("{} built by go1.24.11", p.display())),
            "{c:?}"
        );
    }

    #[test]
    fn built_by_a_go_below_the_minimum_or_not_the_pinned_version() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        with_build(&w, "go1.23.4", "v0.19.1");
        let c = gopls(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.summary
                .contains("was built by go1.23.4, older than the go1.24.2 gopls v0.20.0 needs"),
            "{c:?}"
        );
        assert!(
            c.summary
                .contains("says it is golang.org/x/tools/gopls v0.19.1"),
            "{c:?}"
        );
        assert_eq!(c.fix.as_deref(), Some("gvr gopls install v0.20.0 --force"));
    }

    #[test]
    fn another_gopls_first_on_path_or_in_gopath() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        with_build(&w, "go1.24.11", "v0.20.0");
        let other = w.fake_tool("home/go/bin", "gopls");
        let w = w.path_before_shims(&[other.parent().unwrap()]);
        let c = gopls(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("the first gopls on PATH is"), "{c:?}");
        assert!(c.summary.contains("VS Code's Go extension runs"), "{c:?}");
        assert!(c.actions.contains(&Fix::Gvr(vec!["vscode".into()])));
    }

    #[test]
    fn a_binary_without_build_info_is_rebuilt() {
        let w = World::new().installed("1.24.11").pinned("1.24.11");
        let p = w
            .home
            .gopls_build_dir("v0.20.0", &"1.24.11".parse().unwrap())
            .join("gopls");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "not go").unwrap();
        let c = gopls(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("not a Go binary"), "{c:?}");
        assert!(c.fix.unwrap().ends_with("--force"));
    }

    #[test]
    fn support_per_table() {
        let go: GoVersion = "1.24.11".parse().unwrap();
        assert_eq!(support_problem(&gv("v0.20.0"), &go), None);
        assert!(support_problem(&gv("v0.16.2"), &go)
            .unwrap()
            .contains("older than v0.20.0"));
        let old: GoVersion = "1.21.13".parse().unwrap();
        let p = support_problem(&gv("v0.21.1"), &old).unwrap();
        assert!(p.contains("go1.24–1.25 only"), "{p}");
        assert_eq!(
            support_problem(&gv("v0.21.1"), &"1.25.1".parse().unwrap()),
            None
        );
    }

    #[test]
    fn builder_version_text() {
        assert_eq!(
            parse_go_version("go1.24.11 X:boringcrypto"),
            Some("1.24.11".parse().unwrap())
        );
        assert_eq!(parse_go_version("devel +abc"), None);
    }
}

//! Selection precedence, one rule per test.

use super::*;
use crate::process::TestEnv;
use std::ffi::OsString;

struct World {
    _t: tempfile::TempDir,
    root: PathBuf,
    home: GvrHome,
    env: TestEnv,
}

impl World {
    fn new(installed: &[&str]) -> World {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let home = GvrHome::at(root.join("gvr"), root.join("cache"));
        for v in installed {
            std::fs::create_dir_all(home.versions_dir().join(v).join("bin")).unwrap();
        }
        World {
            _t: t,
            root,
            home,
            env: TestEnv::default(),
        }
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
    fn dir(&self, rel: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
    fn global(&self, text: &str) -> PathBuf {
        let p = self.home.global_version_file();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
    fn set(&mut self, k: &str, v: impl Into<OsString>) {
        self.env.0.insert(k.to_string(), v.into());
    }
    fn here(&self, rel: &str) -> Here<'_> {
        Here::new(&self.env, self.dir(rel)).unwrap()
    }
    fn select(&self, rel: &str) -> Result<Selection, SelectError> {
        select(&self.home, &self.here(rel))
    }
    fn version(&self, rel: &str) -> String {
        match self.select(rel).unwrap_or_else(|e| panic!("{e}")).version {
            Selected::Version(v) => v.to_string(),
            Selected::System(s) => format!("system:{}", s.path.display()),
        }
    }
    /// A fake system go at `<root>/<rel>/bin/go` with a VERSION file.
    fn system_go(&self, rel: &str, version: Option<&str>) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let go = self.write(&format!("{rel}/bin/go"), "#!/bin/sh\n");
        std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o755)).unwrap();
        if let Some(v) = version {
            self.write(
                &format!("{rel}/VERSION"),
                &format!("go{v}\ntime 2024-01-01T00:00:00Z\n"),
            );
        }
        go
    }
}

fn v(s: &str) -> GoVersion {
    s.parse().unwrap()
}

#[test]
fn env_wins_over_files_and_global() {
    let mut w = World::new(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.21.13\n");
    w.global("1.21.13\n");
    w.set("GVR_VERSION", "1.22.10");
    let s = w.select("p").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert_eq!(s.origin, Origin::Env);
    assert_eq!(s.origin.to_string(), "set by GVR_VERSION");
}

#[test]
fn empty_env_counts_as_unset() {
    let mut w = World::new(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    w.set("GVR_VERSION", "");
    assert_eq!(
        w.select("p").unwrap().origin,
        Origin::GoVersionFile(w.root.join("p/.go-version"))
    );
}

#[test]
fn nearest_go_version_walking_up() {
    let w = World::new(&["1.21.13", "1.22.10"]);
    let outer = w.write("p/.go-version", "1.22.10\n");
    let inner = w.write("p/sub/.go-version", "1.21.13\n");
    assert_eq!(w.version("p/sub/deep/er"), "1.21.13");
    assert_eq!(
        w.select("p/sub/deep").unwrap().origin.to_string(),
        format!("set by {}", inner.display())
    );
    assert_eq!(w.version("p/other"), "1.22.10");
    assert_eq!(w.select("p").unwrap().origin, Origin::GoVersionFile(outer));
}

#[test]
fn go_version_beats_tool_versions_in_one_dir_but_nearer_tool_versions_wins() {
    let w = World::new(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.write("p/.tool-versions", "golang 1.21.13\n");
    assert_eq!(w.version("p"), "1.22.10");
    let tv = w.write("p/sub/.tool-versions", "nodejs 20\ngo 1.21.13\n");
    let s = w.select("p/sub").unwrap();
    assert_eq!(s.origin, Origin::ToolVersions(tv));
    assert_eq!(s.version, Selected::Version(v("1.21.13")));
}

#[test]
fn tool_versions_without_go_is_skipped() {
    let w = World::new(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.write("p/sub/.tool-versions", "nodejs 20\n");
    assert_eq!(w.version("p/sub"), "1.22.10");
}

#[test]
fn prefix_pin_takes_newest_installed_match() {
    let w = World::new(&["1.22.6", "1.22.10", "1.23.4", "1.21.13"]);
    w.write("p/.go-version", "1.22\n");
    assert_eq!(w.version("p"), "1.22.10");
    w.write("q/.go-version", "latest\n");
    assert_eq!(w.version("q"), "1.23.4");
}

#[test]
fn not_installed_names_version_origin_and_fix() {
    let w = World::new(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.21.13\n");
    let e = w.select("p").unwrap_err();
    assert_eq!(e.missing_spec(), Some(&VersionSpec::Exact(v("1.21.13"))));
    assert_eq!(
        e.to_string(),
        format!(
            "Go 1.21.13 is not installed (set by {}); run `gvr install 1.21.13`",
            pin.display()
        )
    );
    w.write("q/.go-version", "1.20\n");
    assert!(w
        .select("q")
        .unwrap_err()
        .to_string()
        .contains("run `gvr install 1.20`"));
}

#[test]
fn bad_and_empty_pins_are_errors_naming_the_file() {
    let mut w = World::new(&["1.22.10"]);
    let p = w.write("p/.go-version", "# only a comment\n\n");
    let e = w.select("p").unwrap_err();
    assert!(
        matches!(&e, SelectError::EmptyPin { path } if *path == p),
        "{e}"
    );
    let q = w.write("q/.go-version", "stable\n");
    let e = w.select("q").unwrap_err().to_string();
    assert!(
        e.contains(&q.display().to_string()) && e.contains("`stable`"),
        "{e}"
    );
    w.set("GVR_VERSION", "1.x");
    assert!(w
        .select("q")
        .unwrap_err()
        .to_string()
        .starts_with("GVR_VERSION=`1.x`"));
}

#[test]
fn global_default_applies_without_pins() {
    let w = World::new(&["1.21.13", "1.22.10"]);
    let g = w.global("go1.22.10\r\n");
    let s = w.select("p").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert_eq!(s.origin, Origin::Global(g));
}

#[test]
fn global_not_installed_is_an_error() {
    let w = World::new(&["1.22.10"]);
    w.global("1.21.13\n");
    let e = w.select("p").unwrap_err();
    assert!(
        matches!(e, SelectError::NotInstalled { origin, .. } if matches!(*origin, Origin::Global(_)))
    );
}

#[test]
fn system_go_is_first_on_path_outside_shims_and_sdks() {
    let mut w = World::new(&[]);
    let shim = w.system_go("gvr/shims/..", None); // writes <home>/bin/go
    std::fs::create_dir_all(w.home.shims_dir()).unwrap();
    std::fs::copy(&shim, w.home.shims_dir().join("go")).unwrap();
    let sdk = w.system_go("gvr/versions/1.22.10", Some("1.22.10"));
    let sys = w.system_go("usr/local/go", Some("1.21.5"));
    let later = w.system_go("later", None);
    let path = std::env::join_paths([
        w.home.shims_dir(),
        sdk.parent().unwrap().to_path_buf(),
        PathBuf::from("relative/bin"),
        w.root.join("empty"),
        sys.parent().unwrap().to_path_buf(),
        later.parent().unwrap().to_path_buf(),
    ])
    .unwrap();
    w.set("PATH", path);
    let s = w.select("p").unwrap();
    let Selected::System(found) = &s.version else {
        panic!("{s:?}")
    };
    assert_eq!(found.path, sys);
    assert_eq!(
        found.goroot.as_deref(),
        Some(w.root.join("usr/local/go").as_path())
    );
    assert_eq!(found.version, Some(v("1.21.5")));
    assert_eq!(s.origin, Origin::System(sys));
}

#[test]
fn nothing_selected_says_how_to_fix() {
    let mut w = World::new(&["1.22.10"]);
    w.set("PATH", w.root.join("nothing").into_os_string());
    let e = w.select("p").unwrap_err().to_string();
    assert!(e.contains("run `gvr global 1.22.10`"), "{e}");
    let w = World::new(&[]);
    assert!(w
        .select("p")
        .unwrap_err()
        .to_string()
        .contains("gvr install latest"));
}

#[test]
fn explicit_system_pin() {
    let mut w = World::new(&[]);
    w.write("p/.go-version", "system\n");
    assert!(matches!(
        w.select("p").unwrap_err(),
        SelectError::NoSystemGo { .. }
    ));
    let go = w.system_go("opt/go", Some("1.20.14"));
    w.set("PATH", go.parent().unwrap().as_os_str().to_owned());
    let s = w.select("p").unwrap();
    assert!(matches!(&s.version, Selected::System(g) if g.path == go));
    assert!(matches!(s.origin, Origin::GoVersionFile(_)));
}

#[test]
fn toolchain_line_raises_global_default() {
    let w = World::new(&["1.21.13", "1.22.10", "1.23.4"]);
    w.global("1.21.13\n");
    let gomod = w.write("p/go.mod", "module m\n\ngo 1.22\n\ntoolchain go1.22.10\n");
    let s = w.select("p/pkg").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert_eq!(
        s.origin.to_string(),
        format!(
            "required by the toolchain line of {}; the global default 1.21.13 is older",
            gomod.display()
        )
    );
    assert_eq!(s.origin.kind(), "toolchain-line");
}

#[test]
fn go_line_raises_to_newest_installed_release_at_or_above_it() {
    let w = World::new(&["1.21.13", "1.22.6", "1.22.10", "1.24rc1"]);
    w.global("1.21.13\n");
    let gomod = w.write("p/go.mod", "module m\ngo 1.22\n");
    let s = w.select("p").unwrap();
    assert_eq!(
        s.version,
        Selected::Version(v("1.22.10")),
        "stable preferred over 1.24rc1"
    );
    assert_eq!(
        s.origin.to_string(),
        format!(
            "required by the go line (go 1.22) of {}; the global default 1.21.13 is older",
            gomod.display()
        )
    );
}

#[test]
fn go_line_not_newer_keeps_default() {
    let w = World::new(&["1.21.13", "1.22.10"]);
    let g = w.global("1.22.10\n");
    w.write("p/go.mod", "module m\ngo 1.21\ntoolchain go1.21.13\n");
    let s = w.select("p").unwrap();
    assert_eq!(s.origin, Origin::Global(g));
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
}

#[test]
fn go_1_21_line_needs_1_21_0_not_the_language_version() {
    // `go 1.21` means go1.21.0, which is newer than a default of 1.21rc2.
    let w = World::new(&["1.21rc2", "1.21.13"]);
    w.global("1.21rc2\n");
    w.write("p/go.mod", "module m\ngo 1.21\n");
    assert_eq!(w.version("p"), "1.21.13");
}

#[test]
fn explicit_pins_are_not_raised_by_go_mod() {
    let mut w = World::new(&["1.21.13", "1.22.10"]);
    w.write("p/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
    w.write("p/.go-version", "1.21.13\n");
    assert_eq!(w.version("p"), "1.21.13");
    w.set("GVR_VERSION", "1.21.13");
    assert_eq!(w.version("q"), "1.21.13");
}

#[test]
fn go_work_wins_over_go_mod_and_gowork_is_honoured() {
    let mut w = World::new(&["1.21.13", "1.22.10", "1.23.4"]);
    w.global("1.21.13\n");
    let work = w.write("ws/go.work", "go 1.23.0\n\nuse ./m\n");
    w.write("ws/m/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
    let s = w.select("ws/m").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.23.4")));
    assert_eq!(s.origin.path(), Some(work.as_path()));

    w.set("GOWORK", "off");
    assert_eq!(w.version("ws/m"), "1.22.10", "GOWORK=off: go.mod rules");

    let other = w.write("elsewhere/x.work", "go 1.21\ntoolchain go1.22.10\n");
    w.set("GOWORK", other.clone().into_os_string());
    let s = w.select("ws/m").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert_eq!(s.origin.path(), Some(other.as_path()));
}

#[test]
fn required_toolchain_not_installed_is_an_error_with_the_go_mod_origin() {
    let w = World::new(&["1.21.13"]);
    w.global("1.21.13\n");
    w.write("p/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
    let e = w.select("p").unwrap_err();
    assert_eq!(e.missing_spec(), Some(&VersionSpec::Exact(v("1.22.10"))));
    assert!(
        e.to_string().contains("required by the toolchain line of"),
        "{e}"
    );
    w.write("q/go.mod", "module m\ngo 1.23\n");
    let e = w.select("q").unwrap_err();
    assert_eq!(
        e.to_string().rsplit("; ").next(),
        Some("run `gvr install 1.23`")
    );
}

#[test]
fn system_default_is_raised_when_its_version_is_known() {
    let mut w = World::new(&["1.22.10"]);
    let go = w.system_go("usr/lib/go", Some("1.21.0"));
    w.set("PATH", go.parent().unwrap().as_os_str().to_owned());
    w.write("p/go.mod", "module m\ngo 1.22.1\n");
    let s = w.select("p").unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert!(
        s.origin
            .to_string()
            .ends_with("; the system go 1.21.0 is older"),
        "{}",
        s.origin
    );

    // Unknown version: left to the go command.
    let mut w = World::new(&["1.22.10"]);
    let go = w.system_go("bin-only", None);
    w.set("PATH", go.parent().unwrap().as_os_str().to_owned());
    w.write("p/go.mod", "module m\ngo 1.22.1\n");
    assert!(matches!(
        w.select("p").unwrap().version,
        Selected::System(_)
    ));
}

#[test]
fn command_line_override_beats_everything() {
    let mut w = World::new(&["1.21.13", "1.22.10"]);
    w.set("GVR_VERSION", "1.21.13");
    let s = select_with(&w.home, &w.here("p"), Some(&"1.22".parse().unwrap())).unwrap();
    assert_eq!(s.version, Selected::Version(v("1.22.10")));
    assert_eq!(s.origin.to_string(), "set by --version");
}

#[test]
fn exact_pin_finds_the_installed_version_by_equality() {
    // Go released go1.20, never go1.20.0; the two are the same version.
    let w = World::new(&["1.20", "1.20.1"]);
    w.write("p/.go-version", "1.20.0\n");
    assert_eq!(w.version("p"), "1.20");
    w.write("q/.go-version", "go1.20.0\n");
    assert_eq!(w.version("q"), "1.20");
}

//! gopls pinned per Go version: the lookup the `gopls` shim makes.
//!
//! gopls version names, the compatibility table, pin resolution and where a build lives
//! ([`pinned_binary`]). Building, fetching, listing and removing builds belong to the
//! `gvr` command (its `gopls` module).

// Errors carry the versions and paths a user needs to fix things; they are built once
// on a failing path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod builds;
mod pin;
pub mod table;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::home::GvrHome;
use crate::process::Process;
use crate::version::GoVersion;

pub use builds::{builds_of, InstalledGopls};
pub use pin::{find_pin_file, read_pin_file, resolve_pin, Pin, PinOrigin, PIN_ENV, PIN_FILE};

/// The module path `go install` builds.
pub const MODULE: &str = "golang.org/x/tools/gopls";

/// A gopls release name as tagged: `v0.20.0`, `v0.21.0-pre.1` (a missing leading `v` is
/// accepted), kept as its canonical text. The lookup only compares versions for
/// equality; the `gvr` command orders them with the `semver` crate, which the shims do
/// not link. What this accepts is a subset of semver (no build metadata, no hyphens
/// inside prerelease identifiers), so every version here is a valid semver version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoplsVersion {
    /// Canonical text with the leading `v`.
    text: String,
    prerelease: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a gopls version (expected something like v0.20.0)")]
pub struct ParseGoplsVersionError {
    pub input: String,
}

impl GoplsVersion {
    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

/// A number as semver writes it: digits, no leading zero.
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

impl FromStr for GoplsVersion {
    type Err = ParseGoplsVersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || ParseGoplsVersionError {
            input: input.to_string(),
        };
        let s = input.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3
            || !parts
                .iter()
                .all(|p| is_number(p) && p.parse::<u64>().is_ok())
        {
            return Err(err());
        }
        if let Some(p) = pre {
            // Identifiers: alphanumeric, and a numeric one without a leading zero.
            let ok = p.split('.').all(|id| {
                !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
                    && (!id.bytes().all(|b| b.is_ascii_digit()) || is_number(id))
            });
            if !ok {
                return Err(err());
            }
        }
        Ok(GoplsVersion {
            text: format!("v{s}"),
            prerelease: pre.is_some(),
        })
    }
}

impl fmt::Display for GoplsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What can stop the lookup of the pinned gopls. Each message says what happened and
/// the command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("gopls {version} (pinned by {origin}) is not built for go{go}; run `{fix}`")]
    NotBuilt {
        version: GoplsVersion,
        origin: PinOrigin,
        go: GoVersion,
        fix: String,
    },

    #[error("gvr's compatibility table has no gopls for go{go}; pin one with `gvr gopls pin v0.X.Y` or set GVR_GOPLS_VERSION")]
    NoTableEntry { go: GoVersion },

    #[error("{origin} asks for `{value}`, which is not a gopls version (expected something like v0.20.0)")]
    BadPin { origin: PinOrigin, value: String },

    #[error("the .gopls-version file at {path} is empty; write a version such as v0.20.0 into it or remove it with `gvr gopls pin --unset`")]
    EmptyPinFile { path: PathBuf },

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The file name of the gopls binary on this platform.
pub fn binary_name() -> &'static str {
    if cfg!(windows) {
        "gopls.exe"
    } else {
        "gopls"
    }
}

/// Where the build of `gopls` by Go `go` lives (it may not exist).
pub fn build_binary_path(home: &GvrHome, gopls: &GoplsVersion, go: &GoVersion) -> PathBuf {
    home.gopls_build_dir(gopls.as_str(), go).join(binary_name())
}

/// The gopls binary the `gopls` shim runs in `cwd` when `go` is the selected Go, with
/// the pin that chose it (`GVR_GOPLS_VERSION`, the nearest `.gopls-version`, or the
/// table entry for `go`).
///
/// The build by `go` itself is preferred; when there is none, a build of the same
/// gopls by a Go of the same minor or newer is used (gopls runs the selected `go` from
/// PATH either way), the newest Go first. Reads a few small files and stats a few paths,
/// nothing more.
pub fn pinned_binary(
    p: &dyn Process,
    home: &GvrHome,
    cwd: &Path,
    go: &GoVersion,
) -> Result<(PathBuf, Pin), LookupError> {
    let pin = resolve_pin(p, cwd, go)?;
    match find_build(p, home, &pin.version, go) {
        Some(path) => Ok((path, pin)),
        None => Err(LookupError::NotBuilt {
            fix: install_command(&pin.version, go),
            version: pin.version,
            origin: pin.origin,
            go: go.clone(),
        }),
    }
}

/// An existing build of `gopls`: the one by `go`, else the one by the newest other Go
/// of `go`'s minor or a newer one. A build by an older Go is never used: it was compiled
/// against an older standard library and go/types, and may misread this Go's code.
pub fn find_build(
    p: &dyn Process,
    home: &GvrHome,
    gopls: &GoplsVersion,
    go: &GoVersion,
) -> Option<PathBuf> {
    let own = build_binary_path(home, gopls, go);
    if p.is_file(&own) {
        return Some(own);
    }
    let minor = (go.major(), go.minor());
    builds_of(p, home, gopls)
        .into_iter()
        .find(|b| (b.go.major(), b.go.minor()) >= minor)
        .map(|b| b.path)
}

/// The oldest Go gvr can build `gopls` with, and why: the table's minimum, but never
/// below Go 1.16, whose `go install module@version` gvr builds with.
pub fn min_build_go(gopls: &GoplsVersion) -> (GoVersion, String) {
    let floor = GoVersion::from_str("1.16").expect("a valid Go version");
    match table::min_go(gopls) {
        Some(row) if row.go > floor => (row.go.clone(), row.source.clone()),
        _ => (
            floor,
            "gvr builds with `go install module@version`, which Go 1.16 added".to_string(),
        ),
    }
}

/// The `gvr` arguments that build `gopls` for `go` (the shim runs these for
/// `GVR_AUTO_INSTALL=1`): with the selected Go when it can, else with an installed SDK
/// of the minor [`min_build_go`] names (`--with-go`).
pub fn install_args(gopls: &GoplsVersion, go: &GoVersion) -> Vec<String> {
    let mut args = vec![
        "gopls".to_string(),
        "install".to_string(),
        gopls.to_string(),
    ];
    let (min, _) = min_build_go(gopls);
    if *go < min {
        args.extend(["--with-go".to_string(), min.lang().to_string()]);
    }
    args
}

/// [`install_args`] as the command line a user types.
pub fn install_command(gopls: &GoplsVersion, go: &GoVersion) -> String {
    format!("gvr {}", install_args(gopls, go).join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::OsProcess;

    fn gv(s: &str) -> GoplsVersion {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_gopls_versions() {
        assert_eq!(gv("0.20.0").to_string(), "v0.20.0");
        assert_eq!(gv(" v0.21.0-pre.2\n").to_string(), "v0.21.0-pre.2");
        assert!(gv("v0.21.0-pre.2").is_prerelease() && !gv("v0.21.0").is_prerelease());
        assert_eq!(gv("0.20.0"), gv("v0.20.0"));
        for bad in [
            "",
            "v",
            "v0.20",
            "v0.20.0.1",
            "v0.020.0",
            "0.20.x",
            "v0.20.0-",
            "v0.20.0-pre..1",
            "v0.20.0-pre.01",
            "v0.20.0+build",
            "v99999999999999999999.0.0",
            "latest",
        ] {
            assert!(
                bad.parse::<GoplsVersion>().is_err(),
                "{bad} should not parse"
            );
        }
    }

    #[test]
    fn not_built_names_the_command() {
        let home = tempfile::tempdir().unwrap();
        let home = GvrHome::at(home.path().join("home"), home.path().join("cache"));
        let cwd = tempfile::tempdir().unwrap();
        std::fs::write(cwd.path().join(PIN_FILE), "v0.20.0\n").unwrap();
        let go: GoVersion = "1.23.4".parse().unwrap();
        let err = pinned_binary(&OsProcess, &home, cwd.path(), &go).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("run `gvr gopls install v0.20.0 --with-go 1.24`"),
            "{msg}"
        );
        assert!(msg.contains(".gopls-version"), "{msg}");
    }

    #[test]
    fn go_before_1_16_builds_with_1_16() {
        let go: GoVersion = "1.12.17".parse().unwrap();
        let v = table::recommended(&go).unwrap();
        assert_eq!(v.to_string(), "v0.7.5");
        assert_eq!(
            install_command(v, &go),
            "gvr gopls install v0.7.5 --with-go 1.16"
        );
        assert!(min_build_go(v).1.contains("go install module@version"));
        let go: GoVersion = "1.17.13".parse().unwrap();
        assert_eq!(
            install_command(table::recommended(&go).unwrap(), &go),
            "gvr gopls install v0.11.0"
        );
    }

    /// A home holding (empty) gopls v0.20.0 builds made by each Go in `gos`.
    fn home_with_builds(gos: &[&str]) -> (tempfile::TempDir, GvrHome) {
        let tmp = tempfile::tempdir().unwrap();
        let home = GvrHome::at(tmp.path().join("home"), tmp.path().join("cache"));
        for g in gos {
            let p = build_binary_path(&home, &gv("v0.20.0"), &g.parse().unwrap());
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        (tmp, home)
    }

    #[test]
    fn falls_back_to_a_build_by_another_go() {
        let (_tmp, home) = home_with_builds(&["1.24.2", "1.25.1"]);
        let v = gv("v0.20.0");
        let own = find_build(&OsProcess, &home, &v, &"1.24.2".parse().unwrap()).unwrap();
        assert!(
            own.ends_with("v0.20.0/go1.24.2/gopls") || own.ends_with("v0.20.0/go1.24.2/gopls.exe")
        );
        let other = find_build(&OsProcess, &home, &v, &"1.24.11".parse().unwrap()).unwrap();
        assert!(
            other.to_string_lossy().contains("go1.25.1"),
            "{}",
            other.display()
        );
        assert!(find_build(
            &OsProcess,
            &home,
            &gv("v0.19.1"),
            &"1.24.2".parse().unwrap()
        )
        .is_none());
        // An older patch of the same minor will do.
        let same_minor = find_build(&OsProcess, &home, &v, &"1.25.4".parse().unwrap()).unwrap();
        assert!(same_minor.to_string_lossy().contains("go1.25.1"));
    }

    #[test]
    fn never_falls_back_to_a_build_by_an_older_go() {
        let (_tmp, home) = home_with_builds(&["1.24.2", "1.25.1"]);
        let v = gv("v0.20.0");
        let go: GoVersion = "1.26.0".parse().unwrap();
        assert_eq!(find_build(&OsProcess, &home, &v, &go), None);
        let cwd = tempfile::tempdir().unwrap();
        std::fs::write(cwd.path().join(PIN_FILE), "v0.20.0\n").unwrap();
        match pinned_binary(&OsProcess, &home, cwd.path(), &go) {
            Err(e @ LookupError::NotBuilt { .. }) => assert!(
                e.to_string().contains("run `gvr gopls install v0.20.0`"),
                "{e}"
            ),
            other => panic!("expected NotBuilt, got {other:?}"),
        }
    }
}

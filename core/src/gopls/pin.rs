//! Which gopls applies in a directory, and why: `GVR_GOPLS_VERSION`, else the nearest
//! `.gopls-version` walking up, else the table entry for the selected Go.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{table, GoplsVersion, LookupError};
use crate::pin_file::parse_go_version;
use crate::process::Process;
use crate::version::GoVersion;

pub const PIN_ENV: &str = "GVR_GOPLS_VERSION";
pub const PIN_FILE: &str = ".gopls-version";

/// Where a gopls pin came from; explains itself in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOrigin {
    Env,
    File(PathBuf),
    Table { go: GoVersion },
}

impl fmt::Display for PinOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinOrigin::Env => write!(f, "{PIN_ENV}"),
            PinOrigin::File(p) => write!(f, "the {PIN_FILE} file at {}", p.display()),
            PinOrigin::Table { go } => write!(f, "gvr's compatibility table for go{go}"),
        }
    }
}

/// A gopls version and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: GoplsVersion,
    pub origin: PinOrigin,
}

/// The pin for `cwd` given the selected Go and the value of `GVR_GOPLS_VERSION` (passed
/// in so callers and tests control the environment). An empty variable counts as unset.
pub fn resolve_pin(p: &dyn Process, cwd: &Path, go: &GoVersion) -> Result<Pin, LookupError> {
    if let Some(value) = p.var_non_empty(PIN_ENV) {
        let value = value.to_string_lossy();
        let version = value.trim().parse().map_err(|_| LookupError::BadPin {
            origin: PinOrigin::Env,
            value: value.to_string(),
        })?;
        return Ok(Pin {
            version,
            origin: PinOrigin::Env,
        });
    }
    if let Some(path) = find_pin_file(p, cwd) {
        let version = read_pin_file(p, &path)?;
        return Ok(Pin {
            version,
            origin: PinOrigin::File(path),
        });
    }
    match table::recommended(go) {
        Some(version) => Ok(Pin {
            version: version.clone(),
            origin: PinOrigin::Table { go: go.clone() },
        }),
        None => Err(LookupError::NoTableEntry { go: go.clone() }),
    }
}

/// The nearest `.gopls-version` in `dir` or an ancestor.
pub fn find_pin_file(p: &dyn Process, dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(PIN_FILE))
        .find(|file| p.is_file(file))
}

/// The version in a `.gopls-version` file, read with the `.go-version` grammar (the
/// first token of the first line that is not blank or a `#` comment; BOM and CRLF
/// tolerated); a missing `v` is fine.
pub fn read_pin_file(p: &dyn Process, path: &Path) -> Result<GoplsVersion, LookupError> {
    let text = p.read_small(path).map_err(|source| LookupError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(token) = parse_go_version(&text) else {
        return Err(LookupError::EmptyPinFile {
            path: path.to_path_buf(),
        });
    };
    token.parse().map_err(|_| LookupError::BadPin {
        origin: PinOrigin::File(path.to_path_buf()),
        value: token.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::TestEnv;

    fn go(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn precedence_env_then_nearest_file_then_table() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let deep = root.join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        let g = go("1.24.11");

        // Nothing pinned: the table.
        let p = resolve_pin(&TestEnv::default(), &deep, &g).unwrap();
        assert_eq!(p.version.to_string(), "v0.20.0");
        assert_eq!(p.origin, PinOrigin::Table { go: g.clone() });

        // A file higher up, then a nearer one wins.
        std::fs::write(
            root.join(PIN_FILE),
            "\u{feff}# pinned for the team\r\n\r\n0.19.1 extra\r\n",
        )
        .unwrap();
        let p = resolve_pin(&TestEnv::default(), &deep, &g).unwrap();
        assert_eq!(p.version.to_string(), "v0.19.1");
        assert_eq!(p.origin, PinOrigin::File(root.join(PIN_FILE)));
        // A trailing comment, as in .go-version.
        std::fs::write(root.join("a/b").join(PIN_FILE), "v0.18.1# team pin\n").unwrap();
        let p = resolve_pin(&TestEnv::default(), &deep, &g).unwrap();
        assert_eq!(p.version.to_string(), "v0.18.1");
        assert!(
            p.origin.to_string().contains("a/b/.gopls-version"),
            "{}",
            p.origin
        );

        // The environment beats every file; empty counts as unset.
        let p = resolve_pin(&TestEnv::of(&[(PIN_ENV, "v0.16.2")]), &deep, &g).unwrap();
        assert_eq!(
            (p.version.to_string(), p.origin),
            ("v0.16.2".to_string(), PinOrigin::Env)
        );
        assert_eq!(
            resolve_pin(&TestEnv::of(&[(PIN_ENV, "")]), &deep, &g)
                .unwrap()
                .version
                .to_string(),
            "v0.18.1"
        );
    }

    #[test]
    fn bad_pins_name_their_origin() {
        let tmp = tempfile::tempdir().unwrap();
        let g = go("1.24.11");
        let e = resolve_pin(&TestEnv::of(&[(PIN_ENV, "latest")]), tmp.path(), &g).unwrap_err();
        assert!(
            e.to_string()
                .contains("GVR_GOPLS_VERSION asks for `latest`"),
            "{e}"
        );
        std::fs::write(tmp.path().join(PIN_FILE), "# only a comment\n\n").unwrap();
        let e = resolve_pin(&TestEnv::default(), tmp.path(), &g).unwrap_err();
        assert!(matches!(e, LookupError::EmptyPinFile { .. }), "{e}");
        std::fs::write(tmp.path().join(PIN_FILE), "gopls\n").unwrap();
        let e = resolve_pin(&TestEnv::default(), tmp.path(), &g).unwrap_err();
        assert!(e.to_string().contains("asks for `gopls`"), "{e}");
        std::fs::remove_file(tmp.path().join(PIN_FILE)).unwrap();
        let e = resolve_pin(&TestEnv::default(), tmp.path(), &go("1.30.1")).unwrap_err();
        assert!(matches!(e, LookupError::NoTableEntry { .. }), "{e}");
    }
}

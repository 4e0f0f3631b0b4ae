//! `~/sdk/go<version>` links to gvr's installs: where vscode-go's "Choose Go
//! Environment" and golang.org/dl's `go1.X.Y` wrappers look for SDKs. gvr only ever
//! touches links it made: a symlink whose target is inside `$GVR_HOME/versions`.

use std::io;
use std::path::{Path, PathBuf};

use crate::home::GvrHome;
use crate::version::GoVersion;

/// The variable that keeps the links in step with install and uninstall.
pub const SDK_LINKS_ENV: &str = "GVR_SDK_LINKS";

#[derive(Debug, thiserror::Error)]
pub enum SdkLinkError {
    #[error("cannot tell your home directory (for ~/sdk): set HOME")]
    NoHome,
    #[error("go{version} is not installed; `gvr list` shows the installed versions")]
    NotInstalled { version: GoVersion },
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Linked(PathBuf),
    AlreadyLinked(PathBuf),
    /// Something that is not gvr's is in the way; left alone.
    Skipped {
        path: PathBuf,
        why: String,
    },
    Removed(PathBuf),
}

/// `~/sdk` for a home directory (`$HOME`, `%USERPROFILE%`), as golang.org/dl finds it.
pub fn sdk_dir(user_home: &Path) -> PathBuf {
    user_home.join("sdk")
}

/// `~/sdk/go<version>`.
pub fn link_path(sdk: &Path, v: &GoVersion) -> PathBuf {
    sdk.join(format!("go{v}"))
}

/// Whether `path` is a link gvr made: a symlink into `versions/`.
pub fn is_ours(home: &GvrHome, path: &Path) -> bool {
    let Ok(meta) = path.symlink_metadata() else {
        return false;
    };
    meta.file_type().is_symlink()
        && std::fs::read_link(path).is_ok_and(|t| t.starts_with(home.versions_dir()))
}

fn io_err<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> SdkLinkError + 'p {
    move |source| SdkLinkError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// Links each of `versions` (all installed when empty) into `sdk`.
pub fn link(
    home: &GvrHome,
    sdk: &Path,
    versions: &[GoVersion],
) -> Result<Vec<Outcome>, SdkLinkError> {
    let installed = home
        .installed_versions()
        .map_err(io_err("list", &home.versions_dir()))?;
    let wanted: Vec<GoVersion> = if versions.is_empty() {
        installed
    } else {
        let mut out = Vec::new();
        for v in versions {
            match installed.iter().find(|i| *i == v) {
                Some(i) => out.push(i.clone()),
                None => return Err(SdkLinkError::NotInstalled { version: v.clone() }),
            }
        }
        out
    };
    std::fs::create_dir_all(sdk).map_err(io_err("create", sdk))?;
    let mut out = Vec::new();
    for v in &wanted {
        let path = link_path(sdk, v);
        let target = home.version_dir(v);
        if path.symlink_metadata().is_ok() {
            if is_ours(home, &path) && std::fs::read_link(&path).is_ok_and(|t| t == target) {
                out.push(Outcome::AlreadyLinked(path));
            } else if is_ours(home, &path) {
                // Ours but stale (a moved GVR_HOME spelled differently): replace it.
                std::fs::remove_file(&path).map_err(io_err("remove", &path))?;
                symlink_dir(&target, &path).map_err(io_err("create the link", &path))?;
                out.push(Outcome::Linked(path));
            } else {
                out.push(Outcome::Skipped {
                    why: "it exists and gvr did not make it".into(),
                    path,
                });
            }
            continue;
        }
        symlink_dir(&target, &path).map_err(io_err("create the link", &path))?;
        out.push(Outcome::Linked(path));
    }
    Ok(out)
}

/// Removes gvr's links from `sdk`: those of `versions`, or all of them when empty.
pub fn unlink(
    home: &GvrHome,
    sdk: &Path,
    versions: &[GoVersion],
) -> Result<Vec<Outcome>, SdkLinkError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(sdk) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err("list", sdk)(e)),
    };
    for entry in rd.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let named = name
            .strip_prefix("go")
            .and_then(|v| v.parse::<GoVersion>().ok());
        let Some(v) = named else { continue };
        if !versions.is_empty() && !versions.contains(&v) {
            continue;
        }
        if is_ours(home, &path) {
            std::fs::remove_file(&path).map_err(io_err("remove", &path))?;
            out.push(Outcome::Removed(path));
        } else if !versions.is_empty() {
            out.push(Outcome::Skipped {
                path,
                why: "gvr did not make it".into(),
            });
        }
    }
    Ok(out)
}

/// Keeps `sdk` in step with `versions/`: every installed version linked, gvr's links
/// to removed versions gone. What install and uninstall run under `GVR_SDK_LINKS=1`.
pub fn sync(home: &GvrHome, sdk: &Path) -> Result<Vec<Outcome>, SdkLinkError> {
    let mut out: Vec<Outcome> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(sdk) {
        for entry in rd.flatten() {
            let path = entry.path();
            if is_ours(home, &path) && !path.exists() {
                std::fs::remove_file(&path).map_err(io_err("remove", &path))?;
                out.push(Outcome::Removed(path));
            }
        }
    }
    out.extend(
        link(home, sdk, &[])?
            .into_iter()
            .filter(|o| !matches!(o, Outcome::AlreadyLinked(_))),
    );
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, GvrHome, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let home = GvrHome::at(t.path().join("gvr"), t.path().join("cache"));
        for v in ["1.22.6", "1.21.13"] {
            std::fs::create_dir_all(home.versions_dir().join(v).join("bin")).unwrap();
        }
        let sdk = t.path().join("home/sdk");
        (t, home, sdk)
    }

    #[test]
    fn links_all_and_leaves_foreign_entries_alone() {
        let (_t, home, sdk) = setup();
        std::fs::create_dir_all(sdk.join("go1.21.13/bin")).unwrap(); // golang.org/dl's own
        let out = link(&home, &sdk, &[]).unwrap();
        assert_eq!(out[0], Outcome::Linked(sdk.join("go1.22.6")));
        assert!(matches!(&out[1], Outcome::Skipped { path, .. } if *path == sdk.join("go1.21.13")));
        assert_eq!(
            std::fs::read_link(sdk.join("go1.22.6")).unwrap(),
            home.version_dir(&"1.22.6".parse().unwrap())
        );
        assert_eq!(
            link(&home, &sdk, &[]).unwrap()[0],
            Outcome::AlreadyLinked(sdk.join("go1.22.6"))
        );
        // unlink removes only gvr's.
        let out = unlink(&home, &sdk, &[]).unwrap();
        assert_eq!(out, [Outcome::Removed(sdk.join("go1.22.6"))]);
        assert!(sdk.join("go1.21.13/bin").is_dir());
    }

    #[test]
    fn sync_follows_uninstall_and_refuses_unknown_versions() {
        let (_t, home, sdk) = setup();
        link(&home, &sdk, &[]).unwrap();
        std::fs::remove_dir_all(home.versions_dir().join("1.21.13")).unwrap();
        let out = sync(&home, &sdk).unwrap();
        assert_eq!(out, [Outcome::Removed(sdk.join("go1.21.13"))]);
        assert!(matches!(
            link(&home, &sdk, &["1.19.1".parse().unwrap()]),
            Err(SdkLinkError::NotInstalled { .. })
        ));
    }
}

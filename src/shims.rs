//! Creating and refreshing `$GVR_HOME/shims`: `go`, `gofmt` and `gopls` as hard links
//! (or copies) of the `gvr-shim` binary, plus one `go<version>` entry per installed
//! version so the go command's `GOTOOLCHAIN=go1.X.Y` finds gvr's SDKs on PATH.
//!
//! Every entry is written under a temporary name and renamed into place, so a `go`
//! running concurrently sees the old shim or the new one, never a half-written file.

use std::io;
use std::path::{Path, PathBuf};

use crate::fsutil::{write_atomic, FileLock};
use crate::home::GvrHome;
use crate::toolchain::SHIMMED_TOOLS;
use crate::version::GoVersion;

pub use crate::home::GVR_BIN_FILE;
/// The shim binary's name next to `gvr`.
pub const SHIM_BIN_NAME: &str = "gvr-shim";
/// The freestanding front shim's name next to `gvr-shim` (Linux x86_64/aarch64).
pub const FAST_SHIM_BIN_NAME: &str = "gvr-shim-fast";

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error(
        "cannot find the gvr-shim binary: {} does not exist; reinstall gvr (install.sh puts gvr-shim next to gvr) or set GVR_SHIM_BIN to its path",
        expected.display()
    )]
    ShimBinaryMissing { expected: PathBuf },
    #[error("cannot find the running gvr binary: {0}")]
    CurrentExe(io::Error),
    #[error("cannot list installed versions in {}", path.display())]
    ListVersions { path: PathBuf, source: io::Error },
    #[error("cannot write the shim {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot remove the stale shim {}", path.display())]
    Remove { path: PathBuf, source: io::Error },
    #[error("cannot lock {}", path.display())]
    Lock { path: PathBuf, source: io::Error },
}

/// What a rehash did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RehashReport {
    pub shims_dir: PathBuf,
    /// The shim binary the entries link to (or copy).
    pub shim_bin: PathBuf,
    /// Entry names written (tools and `go<version>` entries).
    pub written: Vec<String>,
    /// `go<version>` entries removed because that version is gone.
    pub removed: Vec<String>,
    /// Whether entries are copies because hard links were not possible.
    pub copied: bool,
    /// Whether the tools are fronted by the freestanding fast shim.
    pub fast: bool,
}

/// The shim binary to link: `GVR_SHIM_BIN` if set, else `gvr-shim` next to the running
/// `gvr`.
pub fn find_shim_binary() -> Result<PathBuf, ShimError> {
    if let Some(p) = std::env::var_os("GVR_SHIM_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(ShimError::ShimBinaryMissing { expected: p })
        };
    }
    let exe = std::env::current_exe().map_err(ShimError::CurrentExe)?;
    let expected = exe.with_file_name(format!("{SHIM_BIN_NAME}{}", std::env::consts::EXE_SUFFIX));
    if expected.is_file() {
        Ok(expected)
    } else {
        Err(ShimError::ShimBinaryMissing { expected })
    }
}

/// The freestanding fast shim to front the tools with: `GVR_SHIM_FAST_BIN` if set (empty
/// disables it), else `gvr-shim-fast` next to `shim_bin`, on the platforms it supports.
pub fn find_fast_shim_binary(shim_bin: &Path) -> Option<PathBuf> {
    // Where shims/gvr-shim-fast/build.rs links it freestanding.
    if !cfg!(all(
        target_os = "linux",
        target_env = "gnu",
        target_pointer_width = "64",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        return None;
    }
    let path = match std::env::var_os("GVR_SHIM_FAST_BIN") {
        Some(p) if p.is_empty() => return None,
        Some(p) => PathBuf::from(p),
        None => shim_bin.with_file_name(FAST_SHIM_BIN_NAME),
    };
    path.is_file().then_some(path)
}

/// The file name of a `go<version>` entry: the toolchain name the go command looks up.
pub fn version_entry_name(v: &GoVersion) -> String {
    format!("{}{}", v.toolchain_name(), std::env::consts::EXE_SUFFIX)
}

/// (Re)creates every shim from `shim_bin` and removes entries of versions no longer
/// installed. `gvr_bin` is recorded for the shim's auto-install.
pub fn rehash(
    home: &GvrHome,
    shim_bin: &Path,
    gvr_bin: Option<&Path>,
) -> Result<RehashReport, ShimError> {
    let dir = home.shims_dir();
    let lock_path = home.lock_path("shims");
    let _lock = FileLock::acquire(&lock_path, || {}).map_err(|source| ShimError::Lock {
        path: lock_path.clone(),
        source,
    })?;
    std::fs::create_dir_all(&dir).map_err(|source| ShimError::Write {
        path: dir.clone(),
        source,
    })?;

    let versions = home
        .installed_versions()
        .map_err(|source| ShimError::ListVersions {
            path: home.versions_dir(),
            source,
        })?;
    let mut wanted: Vec<String> = SHIMMED_TOOLS
        .iter()
        .map(|t| format!("{t}{}", std::env::consts::EXE_SUFFIX))
        .collect();
    // A version the go command cannot name (e.g. `1.21`, a language version) gets none.
    wanted.extend(
        versions
            .iter()
            .filter(|v| !v.is_lang() || v.minor() < 21)
            .map(version_entry_name),
    );

    let mut report = RehashReport {
        shims_dir: dir.clone(),
        shim_bin: shim_bin.to_path_buf(),
        ..RehashReport::default()
    };
    // Where the fast shim exists, it is what PATH finds for the tools, and the full shim
    // it hands over to lives in `.full/` under the same names.
    let fast = find_fast_shim_binary(shim_bin);
    if fast.is_some() {
        let full = home.full_shims_dir();
        std::fs::create_dir_all(&full).map_err(|source| ShimError::Write {
            path: full.clone(),
            source,
        })?;
        for tool in SHIMMED_TOOLS {
            let path = full.join(tool);
            report.copied |= place(shim_bin, &path).map_err(|source| ShimError::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    for name in &wanted {
        let path = dir.join(name);
        let src = match &fast {
            Some(f) if SHIMMED_TOOLS.contains(&name.as_str()) => f.as_path(),
            _ => shim_bin,
        };
        report.copied |= place(src, &path).map_err(|source| ShimError::Write {
            path: path.clone(),
            source,
        })?;
        report.written.push(name.clone());
    }
    report.fast = fast.is_some();
    remove_stale(&dir, &wanted, &mut report)?;
    // Recorded decisions name the old binaries; start afresh.
    let _ = std::fs::remove_dir_all(home.decisions_dir());

    if let Some(gvr) = gvr_bin {
        let path = dir.join(GVR_BIN_FILE);
        let mut text = gvr.as_os_str().to_string_lossy().into_owned();
        text.push('\n');
        write_atomic(&path, text.as_bytes()).map_err(|source| ShimError::Write { path, source })?;
    }
    Ok(report)
}

/// What `gvr install` / `gvr uninstall` call after changing `versions/`: rehash with
/// the shim binary next to the running `gvr`, recording that `gvr` for auto-install.
pub fn refresh(home: &GvrHome) -> Result<RehashReport, ShimError> {
    let shim = find_shim_binary()?;
    let gvr = std::env::current_exe().map_err(ShimError::CurrentExe)?;
    rehash(home, &shim, Some(&gvr))
}

/// Links (else copies) `src` to a temp name beside `dest` and renames it over `dest`.
/// Returns whether it had to copy.
fn place(src: &Path, dest: &Path) -> io::Result<bool> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dest.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let copied = match std::fs::hard_link(src, &tmp) {
        Ok(()) => false,
        Err(_) => {
            std::fs::copy(src, &tmp)?;
            true
        }
    };
    std::fs::rename(&tmp, dest).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    // Renaming a link over another link to the same file does nothing (POSIX), leaving
    // the temp name behind.
    let _ = std::fs::remove_file(&tmp);
    Ok(copied)
}

/// Removes `go<version>` entries not in `wanted` and leftovers of interrupted rehashes.
/// Other files (ones a user put there) are left alone.
fn remove_stale(dir: &Path, wanted: &[String], report: &mut RehashReport) -> Result<(), ShimError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ShimError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let base = name
            .strip_suffix(std::env::consts::EXE_SUFFIX)
            .filter(|_| cfg!(windows))
            .unwrap_or(&name);
        let is_entry = base
            .strip_prefix("go")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            && base[2..].parse::<GoVersion>().is_ok();
        let is_leftover = name.starts_with('.') && name.contains(".tmp");
        if (is_entry && !wanted.contains(&name)) || is_leftover {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|source| ShimError::Remove {
                path: path.clone(),
                source,
            })?;
            if is_entry {
                report.removed.push(name);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rehash_links_tools_and_versions_and_prunes_stale_entries() {
        let t = tempfile::tempdir().unwrap();
        let home = GvrHome::at(t.path().join("gvr"), t.path().join("cache"));
        for v in ["1.21.13", "1.22.10", "1.20"] {
            std::fs::create_dir_all(home.versions_dir().join(v)).unwrap();
        }
        let shim = t.path().join("gvr-shim");
        std::fs::write(&shim, b"#!/bin/sh\n").unwrap();
        let dir = home.shims_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("go1.19.13"), b"old").unwrap();
        std::fs::write(dir.join(".go.tmp999"), b"leftover").unwrap();
        std::fs::write(dir.join("my-tool"), b"mine").unwrap();

        let r = rehash(&home, &shim, Some(Path::new("/usr/local/bin/gvr"))).unwrap();
        assert_eq!(
            r.written,
            ["go", "gofmt", "gopls", "go1.22.10", "go1.21.13", "go1.20"]
        );
        assert_eq!(r.removed, ["go1.19.13"]);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".gvr-bin",
                "go",
                "go1.20",
                "go1.21.13",
                "go1.22.10",
                "gofmt",
                "gopls",
                "my-tool"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(".gvr-bin")).unwrap(),
            "/usr/local/bin/gvr\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                std::fs::metadata(dir.join("go")).unwrap().ino(),
                std::fs::metadata(&shim).unwrap().ino()
            );
        }
        // Idempotent.
        let again = rehash(&home, &shim, None).unwrap();
        assert!(again.removed.is_empty());
    }
}

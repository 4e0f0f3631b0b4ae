//! Installing and removing versions: locked per version, staged under `$GVR_HOME/tmp`
//! (same filesystem as `versions/`), verified, and committed with one rename, so a
//! version directory is either absent or complete whatever happens to the process.
//!
//! The bytes are read once ([`stream`]): one thread downloads and hashes (and keeps the
//! archive for `downloads/<sha256>`), another inflates and writes the tree, connected by
//! a bounded channel of large chunks ([`tee`]).

// Errors carry the version, URL and digests users need; they happen once per command,
// so their size does not matter.
#![allow(clippy::result_large_err)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::archive_check::check_archive;
use super::durable;
use super::fetch::FetchError;
use super::receipt::{ChecksumSource, Receipt};
use super::source::{Source, SourceError};
use super::trust::{Anchor, Trust, TrustError};
use super::unpack::{self, UnpackError};
use crate::fsutil::{clean_staging, remove_dir_via_staging, FileLock, Staging};
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::GoVersion;
use std::sync::Arc;

mod stream;
mod tee;

use stream::fetch_verified;

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Reinstall even if the version is already there.
    pub force: bool,
    /// Install an archive nothing can vouch for (no sha256 in an index or sidecar, or
    /// a toolchain module the checksum database cannot vouch for).
    pub allow_unverified: bool,
    /// The checksum database settings; `None`: archives keep only their sha256 check.
    pub trust: Option<Arc<Trust>>,
}

#[derive(Debug, Clone)]
pub struct InstallOutcome {
    pub version: GoVersion,
    /// The version's GOROOT.
    pub path: PathBuf,
    /// It was already installed (possibly by a concurrent gvr we waited for); nothing done.
    pub already_installed: bool,
    /// What the archive was checked against (`None` when already installed).
    pub checksum: Option<ChecksumSource>,
    pub sha256: Option<String>,
    /// Where the archive came from (URL or path).
    pub url: Option<String>,
    /// The archive came from `downloads/<sha256>`, not the network.
    pub from_download_cache: bool,
    /// What vouched for it (`None` when already installed).
    pub anchor: Option<Anchor>,
    /// Where it came from, for people: `go.dev`, `the mirror …`, `the GOPROXY …`.
    pub source: Option<String>,
    /// It is the toolchain module (no api/, doc/, misc/, test/).
    pub toolchain_module: bool,
    /// Things the user should know (a database that could not be reached).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("go{version} is not in the download cache and offline mode forbids fetching {url}; drop --offline (GVR_OFFLINE) or install it once while online")]
    OfflineMiss { version: GoVersion, url: String },
    #[error("{url} does not exist ({why}); check that the mirror has go{version} for this platform (`gvr list-remote --all`) or pick another --mirror")]
    ArchiveMissing {
        version: GoVersion,
        url: String,
        why: String,
    },
    #[error("downloading go{version}: {source}")]
    Fetch {
        version: GoVersion,
        source: FetchError,
    },
    #[error("checksum mismatch for {url}: expected sha256 {expected}, got {actual}; nothing was installed; retry (the download may have been corrupted), and if it persists, the mirror serves a different file")]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("no sha256 for {url}: not in the index and no sidecar {url}.sha256; refusing to install an archive nothing vouches for; add a checksum to the mirror, or pass --allow-unverified to install it anyway")]
    Unverified { url: String },
    #[error("unpacking {url}: {source}")]
    Unpack { url: String, source: UnpackError },
    #[error("disk full while writing {}; free some space and retry", path.display())]
    DiskFull { path: PathBuf },
    #[error("permission denied: {}; make it writable for this user or point GVR_HOME elsewhere", path.display())]
    PermissionDenied { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("the checksum database cannot be reached ({why}) and GVR_SUMDB=require; nothing was installed. Check the network or GOPROXY/GOSUMDB, or unset GVR_SUMDB to fall back to {fallback}")]
    SumdbRequired { why: String, fallback: String },
    #[error("hashing the unpacked go{version}: {source}")]
    TreeHash {
        version: GoVersion,
        source: super::distpack::TreeHashError,
    },
    #[error(transparent)]
    Module(#[from] super::install_module::ModuleError),
}

#[derive(Debug, thiserror::Error)]
pub enum UninstallError {
    #[error("go{version} is not installed; `gvr list` shows the installed versions")]
    NotInstalled { version: GoVersion },
    #[error(transparent)]
    Install(#[from] InstallError),
}

/// The [`Staging`] kind of SDK installs and removals in `tmp/`.
pub(super) const STAGE_KIND: &str = "go";

/// Maps an I/O error at `path` to the error users can act on.
pub(super) fn io_error(path: &Path, e: io::Error) -> InstallError {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            InstallError::DiskFull { path }
        }
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            InstallError::PermissionDenied { path }
        }
        _ if matches!(e.raw_os_error(), Some(ENOSPC) | Some(EDQUOT)) && cfg!(unix) => {
            InstallError::DiskFull { path }
        }
        _ => InstallError::Io { path, source: e },
    }
}

fn unpack_error(url: &str, e: UnpackError) -> InstallError {
    match e {
        UnpackError::Io { path, source } => io_error(&path, source),
        e => InstallError::Unpack {
            url: url.to_string(),
            source: e,
        },
    }
}

impl InstallOutcome {
    /// `version` was there already: nothing done.
    pub(super) fn already_installed(home: &GvrHome, version: &GoVersion) -> InstallOutcome {
        InstallOutcome {
            version: version.clone(),
            path: home.version_dir(version),
            already_installed: true,
            checksum: None,
            sha256: None,
            url: None,
            from_download_cache: false,
            anchor: None,
            source: None,
            toolchain_module: false,
            warnings: Vec::new(),
        }
    }
}

/// Takes the lock for installing `version` (release name), with tmp/ cleaned of what
/// dead processes left; `None` when it is installed already (and `force` not given).
/// Shared by every source, so the already-installed answer, the wait message and the
/// tmp/ cleanup are the same whichever way the SDK arrives.
pub(super) fn claim(
    home: &GvrHome,
    version: &GoVersion,
    force: bool,
    reporter: &dyn Reporter,
) -> Result<Option<FileLock>, InstallError> {
    let dest = home.version_dir(version);
    if !force && dest.is_dir() {
        // A kill between the commit rename and the stage's cleanup left only debris in
        // tmp/; nothing else would come back for it while the version stays installed.
        clean_tmp(home);
        return Ok(None);
    }
    let lock_path = home.lock_path(&format!("go-{version}"));
    let lock = FileLock::acquire(&lock_path, || {
        reporter.note(&format!(
            "waiting for another gvr to finish installing go{version}…"
        ))
    })
    .map_err(|e| io_error(&lock_path, e))?;
    clean_tmp(home);
    // Whoever held the lock may have installed it meanwhile.
    if !force && dest.is_dir() {
        return Ok(None);
    }
    Ok(Some(lock))
}

/// Installs `version` from `source` into `home`. Already installed → `already_installed`
/// unless `opts.force`. Calls `reporter` for each step; never prints.
pub fn install(
    home: &GvrHome,
    source: &Source,
    version: &GoVersion,
    opts: &InstallOptions,
    reporter: &dyn Reporter,
) -> Result<InstallOutcome, InstallError> {
    // Go's own name for it: `1.20.0` is `go1.20`, installed as `versions/1.20`.
    let version = &version.release_name();
    let Some(_lock) = claim(home, version, opts.force, reporter)? else {
        return Ok(InstallOutcome::already_installed(home, version));
    };

    let located = source.locate(home, version, reporter)?;
    if let (Some(trust), Some(sha)) = (&opts.trust, &located.sha256) {
        if let Some(kit) = &trust.kit {
            kit.check_archive(&trust.http(), &located.filename, sha)?;
        }
    }
    // The index's name for the release (equal to `version` by Go's ordering).
    let version = &located.version.clone();
    let dest = home.version_dir(version);
    let url = located.location.to_string();
    if located.sha256.is_none() {
        if !opts.allow_unverified {
            return Err(InstallError::Unverified { url });
        }
        reporter.note(&format!(
            "warning: installing go{version} UNVERIFIED: nothing gives a sha256 for {url}"
        ));
    }

    let stage = Stage::new(home)?;
    let fetched = fetch_verified(home, source, &located, &stage, reporter)?;

    reporter.start("checking VERSION", None);
    unpack::check_version_file(&stage.dir, version).map_err(|e| unpack_error(&url, e))?;
    reporter.finish();
    let checked = check_archive(home, source, &located, &stage.dir, opts, reporter)?;
    if !fetched.from_cache {
        // Keep the archive, named by its digest, for reinstalls and offline use; a cache
        // that cannot take it costs a download later, never this install.
        let keep = home.download_path(&fetched.sha256);
        if let Err(e) = keep_download(&stage.partial, &keep) {
            reporter.note(&format!(
                "warning: could not keep the archive in the download cache as {}: {e}; a reinstall will download it again",
                keep.display()
            ));
        }
    }

    let receipt = Receipt {
        version: version.to_string(),
        url: url.clone(),
        sha256: fetched.sha256.clone(),
        checksum_source: located.checksum.kind().to_string(),
        checksum_url: located.checksum.url().map(str::to_string),
        size: fetched.size,
        source: Some(source.name()),
        anchor: Some(checked.anchor.kind().to_string()),
        module_h1: checked.module_h1.clone(),
        toolchain_module: checked.toolchain_module,
        installed_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        gvr_version: crate::GVR_VERSION.to_string(),
    };
    stage.write_receipt(&receipt)?;
    stage.commit(home, &dest)?;
    Ok(InstallOutcome {
        version: version.clone(),
        path: dest,
        already_installed: false,
        checksum: Some(located.checksum),
        sha256: Some(fetched.sha256),
        url: Some(url),
        from_download_cache: fetched.from_cache,
        anchor: Some(checked.anchor),
        source: Some(source.name()),
        toolchain_module: checked.toolchain_module,
        warnings: checked.warnings,
    })
}

/// Moves the verified download at `partial` to `keep` (in `downloads/`). Across
/// filesystems it is copied to a temporary name beside `keep` first, so a digest name
/// never holds a torn file.
fn keep_download(partial: &Path, keep: &Path) -> io::Result<()> {
    if keep.is_file() {
        return Ok(());
    }
    if let Some(dir) = keep.parent() {
        fs::create_dir_all(dir)?;
    }
    match fs::rename(partial, keep) {
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            let name = keep.file_name().unwrap_or_default().to_string_lossy();
            let tmp = keep.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
            let copied = fs::copy(partial, &tmp).and_then(|_| fs::rename(&tmp, keep));
            if copied.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            copied
        }
        r => r,
    }
}

/// Removes an installed version: renamed out of `versions/` first, so a half-deleted
/// tree is never visible there. Returns the directory it occupied.
pub fn uninstall(
    home: &GvrHome,
    version: &GoVersion,
    reporter: &dyn Reporter,
) -> Result<PathBuf, UninstallError> {
    // By equality: `1.20.0` names `versions/1.20`.
    let version = &home
        .find_installed(version)
        .map_err(|e| io_error(&home.versions_dir(), e))?
        .unwrap_or_else(|| version.clone());
    let dest = home.version_dir(version);
    if !dest.is_dir() {
        return Err(UninstallError::NotInstalled {
            version: version.clone(),
        });
    }
    let lock_path = home.lock_path(&format!("go-{version}"));
    let _lock = FileLock::acquire(&lock_path, || {
        reporter.note(&format!(
            "waiting for another gvr to finish with go{version}…"
        ))
    })
    .map_err(|e| io_error(&lock_path, e))?;
    if !dest.is_dir() {
        return Err(UninstallError::NotInstalled {
            version: version.clone(),
        });
    }
    clean_tmp(home);
    reporter.start(&format!("removing {}", dest.display()), None);
    remove_dir_via_staging(&home.tmp_dir(), STAGE_KIND, &dest).map_err(|e| io_error(&dest, e))?;
    reporter.finish();
    Ok(dest)
}

/// One operation's scratch space under `tmp/`, named by the shared [`Staging`] rule:
/// `<name>.stage` (the tree being built), `<name>.partial` (the archive being
/// downloaded), `<name>.trash` (what is being deleted). Dropping it deletes it all.
pub(super) struct Stage {
    pub(super) dir: PathBuf,
    pub(super) partial: PathBuf,
    trash: PathBuf,
    _staging: Staging,
}

impl Stage {
    pub(super) fn new(home: &GvrHome) -> Result<Stage, InstallError> {
        let tmp = home.tmp_dir();
        let staging = Staging::new(&tmp, STAGE_KIND).map_err(|e| io_error(&tmp, e))?;
        let stage = Stage {
            dir: staging.entry("stage"),
            partial: staging.entry("partial"),
            trash: staging.entry("trash"),
            _staging: staging,
        };
        fs::create_dir(&stage.dir).map_err(|e| io_error(&stage.dir, e))?;
        Ok(stage)
    }

    /// Empties the stage directory (after a damaged cached archive was half unpacked).
    fn reset(&self) -> Result<(), InstallError> {
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_file(&self.partial);
        fs::create_dir(&self.dir).map_err(|e| io_error(&self.dir, e))
    }

    /// Moves the finished tree to `dest` in one step: a rename, or for a reinstall an
    /// atomic swap with the old tree (which then sits in the stage, deleted with it).
    /// The tree is on disk before it becomes visible and the rename before this
    /// returns, so neither power loss nor kill -9 leaves a version that looks
    /// installed with files missing, nor removes the old one before the new is in.
    /// Writes `receipt` to `.gvr/receipt.json` in the staged tree. `create_dir`, not
    /// `create_dir_all`: it fails on anything already there (the unpackers refuse
    /// `.gvr` entries), a link in particular.
    pub(super) fn write_receipt(&self, receipt: &Receipt) -> Result<(), InstallError> {
        let receipt_path = self.dir.join(".gvr").join("receipt.json");
        fs::create_dir(receipt_path.parent().expect("has parent"))
            .map_err(|e| io_error(&receipt_path, e))?;
        let json = serde_json::to_vec_pretty(receipt).map_err(|e| InstallError::Io {
            path: receipt_path.clone(),
            source: e.into(),
        })?;
        fs::write(&receipt_path, json).map_err(|e| io_error(&receipt_path, e))
    }

    pub(super) fn commit(&self, home: &GvrHome, dest: &Path) -> Result<(), InstallError> {
        let versions = home.versions_dir();
        fs::create_dir_all(&versions).map_err(|e| io_error(&versions, e))?;
        durable::publish_dir(&self.dir, dest, &self.trash).map_err(|e| io_error(dest, e))
    }
}

/// Removes what interrupted gvr processes (installs, gopls builds, …) left in `tmp/`,
/// never the scratch space of one still running. Best effort.
pub fn clean_tmp(home: &GvrHome) {
    clean_staging(&home.tmp_dir());
}

#[cfg(test)]
mod tests;

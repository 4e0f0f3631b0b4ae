//! `GvrHome`: the on-disk layout (docs/architecture.md, "On disk"). The only code that
//! knows gvr's paths.

use std::path::{Path, PathBuf};

use crate::process::{self, OsProcess, Process};
use crate::version::GoVersion;

/// The file in the shims dir, written by `gvr rehash`, that holds the path of the `gvr`
/// binary that made the shims (the shim runs it for `GVR_AUTO_INSTALL`).
pub const GVR_BIN_FILE: &str = ".gvr-bin";

/// `$GVR_HOME`, default `<data dir>/gvr`.
#[derive(Debug, Clone)]
pub struct GvrHome {
    root: PathBuf,
    cache: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("cannot tell where gvr's home is: no data directory for this user; set GVR_HOME")]
    NoDataDir,
    #[error(
        "cannot tell where gvr's cache is: no cache directory for this user; set GVR_CACHE_DIR"
    )]
    NoCacheDir,
    #[error("{var} must be an absolute path, got `{value}`")]
    NotAbsolute { var: &'static str, value: String },
}

impl GvrHome {
    /// The home chosen by this process's environment (`GVR_HOME`, `GVR_CACHE_DIR`) or
    /// the platform defaults.
    pub fn from_env() -> Result<GvrHome, HomeError> {
        GvrHome::from_process(&OsProcess)
    }

    /// [`GvrHome::from_env`] with the environment of `p`.
    pub fn from_process(p: &dyn Process) -> Result<GvrHome, HomeError> {
        let root = match env_path(p, "GVR_HOME")? {
            Some(dir) => dir,
            None => process::data_dir(p)
                .ok_or(HomeError::NoDataDir)?
                .join("gvr"),
        };
        let cache = match env_path(p, "GVR_CACHE_DIR")? {
            Some(dir) => dir,
            None => process::cache_dir(p)
                .ok_or(HomeError::NoCacheDir)?
                .join("gvr"),
        };
        Ok(GvrHome { root, cache })
    }

    /// A home at explicit locations (tests, tools).
    pub fn at(root: impl Into<PathBuf>, cache: impl Into<PathBuf>) -> GvrHome {
        GvrHome {
            root: root.into(),
            cache: cache.into(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn versions_dir(&self) -> PathBuf {
        self.root.join("versions")
    }
    /// The GOROOT of an installed (or to-be-installed) version.
    pub fn version_dir(&self, v: &GoVersion) -> PathBuf {
        self.versions_dir().join(v.as_str())
    }
    pub fn receipt_path(&self, v: &GoVersion) -> PathBuf {
        self.version_dir(v).join(".gvr").join("receipt.json")
    }
    pub fn gopls_dir(&self) -> PathBuf {
        self.root.join("gopls")
    }
    /// Where the gopls `gopls_version` built by Go `go` lives.
    pub fn gopls_build_dir(&self, gopls_version: &str, go: &GoVersion) -> PathBuf {
        self.gopls_dir().join(gopls_version).join(format!("go{go}"))
    }
    pub fn shims_dir(&self) -> PathBuf {
        self.root.join("shims")
    }
    /// The full shims, when the freestanding fast shim fronts the tools in `shims/`.
    pub fn full_shims_dir(&self) -> PathBuf {
        self.shims_dir().join(".full")
    }
    /// Where `gvr rehash` records the `gvr` binary ([`GVR_BIN_FILE`]).
    pub fn gvr_bin_file(&self) -> PathBuf {
        self.shims_dir().join(GVR_BIN_FILE)
    }
    /// Decisions the full shim recorded for the fast shim to replay.
    pub fn decisions_dir(&self) -> PathBuf {
        self.shims_dir().join(".decisions")
    }
    pub fn downloads_dir(&self) -> PathBuf {
        self.root.join("downloads")
    }
    /// A verified archive, named by its sha256.
    pub fn download_path(&self, sha256_hex: &str) -> PathBuf {
        self.downloads_dir().join(sha256_hex)
    }
    /// Staging area on the same filesystem as `versions/`, so commits are one rename.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }
    pub fn lock_path(&self, name: &str) -> PathBuf {
        self.locks_dir().join(format!("{name}.lock"))
    }
    /// Cached copies of release indexes, one per source.
    pub fn index_cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("index")
    }
    /// The global default version file.
    pub fn global_version_file(&self) -> PathBuf {
        self.root.join("version")
    }
    pub fn gocache_root(&self) -> PathBuf {
        self.cache.join("gocache")
    }

    /// Installed versions (directories under `versions/` that parse as versions),
    /// newest first. Staging and leftovers never live here, so every entry is complete.
    pub fn installed_versions(&self) -> std::io::Result<Vec<GoVersion>> {
        self.installed_versions_in(&OsProcess)
    }

    /// [`GvrHome::installed_versions`], read through `p`.
    pub fn installed_versions_in(&self, p: &dyn Process) -> std::io::Result<Vec<GoVersion>> {
        let dir = self.versions_dir();
        let names = match p.read_dir(&dir) {
            Ok(names) => names,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out: Vec<GoVersion> = names
            .iter()
            .filter_map(|n| Some((n, n.to_str()?.parse::<GoVersion>().ok()?)))
            .filter(|(n, _)| p.is_dir(&dir.join(n)))
            .map(|(_, v)| v)
            .collect();
        out.sort_by(|a, b| b.cmp(a));
        Ok(out)
    }

    pub fn is_installed(&self, v: &GoVersion) -> bool {
        OsProcess.is_dir(&self.version_dir(v))
    }

    /// The installed version equal to `v` by Go's ordering, under its own directory
    /// name: `1.20.0` finds `versions/1.20`. One stat when `v` is spelled as installed.
    pub fn find_installed(&self, v: &GoVersion) -> std::io::Result<Option<GoVersion>> {
        self.find_installed_in(&OsProcess, v)
    }

    /// [`GvrHome::find_installed`], read through `p`.
    pub fn find_installed_in(
        &self,
        p: &dyn Process,
        v: &GoVersion,
    ) -> std::io::Result<Option<GoVersion>> {
        if p.is_dir(&self.version_dir(v)) {
            return Ok(Some(v.clone()));
        }
        Ok(self.installed_versions_in(p)?.into_iter().find(|i| i == v))
    }
}

fn env_path(p: &dyn Process, var: &'static str) -> Result<Option<PathBuf>, HomeError> {
    match p.var_os(var) {
        Some(v) if !v.is_empty() => {
            let dir = PathBuf::from(&v);
            if dir.is_absolute() {
                Ok(Some(dir))
            } else {
                Err(HomeError::NotAbsolute {
                    var,
                    value: dir.display().to_string(),
                })
            }
        }
        _ => Ok(None),
    }
}

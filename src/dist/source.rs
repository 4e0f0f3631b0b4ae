//! Where releases come from: go.dev (default), an http(s) mirror of go.dev's download
//! layout, or a `file://` URL / plain directory with no server. Knows the index URLs,
//! archive and sidecar locations, and keeps a short-lived cache of each source's index
//! (revalidated with ETag / Last-Modified).

// Errors carry the versions and URLs users need; they happen once per command.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::fetch::{FetchConfig, FetchError, Fetcher, Small};
use super::index::{is_sha256_hex, Index, IndexError, Platform};
use super::receipt::ChecksumSource;
use crate::fsutil::write_atomic;

mod file_url;
mod index_load;

use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::{GoVersion, VersionSpec};
pub use file_url::{file_url, file_url_path};

const GO_DEV_INDEX: &str = "https://go.dev/dl/?mode=json&include=all";
const GO_DEV_ARCHIVES: &str = "https://dl.google.com/go";
/// How long a cached index is used without asking the server (`GVR_INDEX_TTL` seconds).
const DEFAULT_INDEX_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    GoDev,
    /// Base URL without a trailing slash.
    Http(String),
    Dir(PathBuf),
}

/// Where an archive is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveLocation {
    Url(String),
    Path(PathBuf),
}

impl std::fmt::Display for ArchiveLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveLocation::Url(u) => f.write_str(u),
            ArchiveLocation::Path(p) => f.write_str(&file_url(p)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("mirror `{0}` is neither an http(s) URL, a file:// URL nor a directory path")]
    BadMirror(String),
    #[error("mirror directory {} does not exist; check --mirror / GVR_MIRROR", .0.display())]
    MirrorDirMissing(PathBuf),
    #[error("go{version} is not in {source_name}'s index; nearest available: {}; run `gvr list-remote --all` to see every version", list(.nearest))]
    UnknownVersion {
        version: GoVersion,
        source_name: String,
        nearest: Vec<GoVersion>,
    },
    #[error("no Go release matches `{spec}` in {source_name}'s index{}", if .nearest.is_empty() { String::new() } else { format!("; newest available: {}", list(.nearest)) })]
    NoMatch {
        spec: String,
        source_name: String,
        nearest: Vec<GoVersion>,
    },
    #[error("go{version} has no archive for {platform}; it is available for: {}", if .available.is_empty() { "no platform (source only)".to_string() } else { .available.join(", ") })]
    NoArchive {
        version: GoVersion,
        platform: String,
        available: Vec<String>,
    },
    #[error("`{spec}` needs a release index to resolve, and {source_name} has none (tried {tried}); name an exact version such as 1.22.6")]
    NoIndex {
        spec: String,
        source_name: String,
        tried: String,
    },
    #[error("offline and no cached release index for {source_name}; run `gvr list-remote` once while online, or drop --offline / GVR_OFFLINE")]
    OfflineNoIndex { source_name: String },
    #[error("`system` means the Go on PATH outside gvr; there is nothing to install")]
    SystemSpec,
    #[error("the sidecar {url} does not hold a sha256 (got `{content}`)")]
    BadSidecar { url: String, content: String },
    #[error("the release index {url} is invalid: {source}")]
    BadIndex { url: String, source: IndexError },
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

fn list(vs: &[GoVersion]) -> String {
    if vs.is_empty() {
        return "none".to_string();
    }
    vs.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An index as loaded, with where it came from.
#[derive(Debug)]
pub struct LoadedIndex {
    pub index: Index,
    pub url: String,
}

/// Everything needed to fetch and check one version's archive.
#[derive(Debug, Clone)]
pub struct Located {
    pub version: GoVersion,
    pub filename: String,
    pub location: ArchiveLocation,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub checksum: ChecksumSource,
}

/// A release source plus the means to read it (fetcher, cache, platform).
pub struct Source {
    location: Location,
    fetcher: Fetcher,
    platform: Platform,
    /// The index once loaded (`None` inside: the source has none).
    loaded: Mutex<Option<Option<Arc<LoadedIndex>>>>,
    /// How long a cached index is used without asking the server.
    index_ttl: Duration,
    /// The index URLs that held no index, and what each held.
    index_tried: Mutex<Vec<String>>,
}

impl Source {
    /// `--mirror` / `GVR_MIRROR` if given, else go.dev.
    pub fn new(mirror: Option<&str>, fetch: FetchConfig) -> Result<Source, SourceError> {
        let location = match mirror.map(str::trim).filter(|m| !m.is_empty()) {
            None => Location::GoDev,
            Some(m) => parse_location(m)?,
        };
        Ok(Source {
            location,
            fetcher: Fetcher::new(fetch),
            platform: Platform::current(),
            loaded: Mutex::new(None),
            index_ttl: index_ttl(),
            index_tried: Mutex::new(Vec::new()),
        })
    }

    /// Overrides how long a cached index counts as fresh (default 10 minutes, or
    /// `GVR_INDEX_TTL` seconds; zero revalidates every time).
    pub fn with_index_ttl(mut self, ttl: Duration) -> Source {
        self.index_ttl = ttl;
        self
    }

    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// The same source, locating archives for another platform (a mirror sync).
    pub fn with_platform(mut self, platform: Platform) -> Source {
        self.platform = platform;
        self
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn offline(&self) -> bool {
        self.fetcher.config().offline
    }

    /// For messages: `go.dev`, `the mirror https://…`, `the mirror directory /…`.
    pub fn name(&self) -> String {
        match &self.location {
            Location::GoDev => "go.dev".to_string(),
            Location::Http(u) => format!("the mirror {u}"),
            Location::Dir(p) => format!("the mirror directory {}", p.display()),
        }
    }

    /// A mirror reached over plain http (it vouches for itself to anyone on the path).
    pub fn is_plain_http(&self) -> bool {
        matches!(&self.location, Location::Http(u) if u.to_ascii_lowercase().starts_with("http://"))
    }

    pub fn is_go_dev(&self) -> bool {
        self.location == Location::GoDev
    }

    fn cache_key(&self) -> String {
        let id = match &self.location {
            Location::GoDev => "go.dev".to_string(),
            Location::Http(u) => u.clone(),
            Location::Dir(p) => p.display().to_string(),
        };
        hex::encode(&Sha256::digest(id.as_bytes())[..10])
    }

    fn index_candidates(&self) -> Vec<String> {
        match &self.location {
            Location::GoDev => vec![GO_DEV_INDEX.to_string()],
            Location::Http(base) => vec![
                format!("{base}/index.json"),
                format!("{base}/?mode=json&include=all"),
            ],
            Location::Dir(dir) => vec![file_url(&dir.join("index.json"))],
        }
    }

    /// For a "no index" message: each index URL tried and what it held.
    pub fn index_tried(&self) -> String {
        let tried = self.index_tried.lock().unwrap_or_else(|e| e.into_inner());
        if tried.is_empty() {
            return self.index_candidates().join(" and ");
        }
        tried.join(" and ")
    }

    pub fn archive_location(&self, filename: &str) -> ArchiveLocation {
        match &self.location {
            Location::GoDev => ArchiveLocation::Url(format!("{GO_DEV_ARCHIVES}/{filename}")),
            Location::Http(base) => ArchiveLocation::Url(format!("{base}/{filename}")),
            Location::Dir(dir) => ArchiveLocation::Path(dir.join(filename)),
        }
    }

    /// The release index, loaded once per process. `Ok(None)`: the source has no index
    /// (a sidecar-only mirror).
    pub fn index(
        &self,
        home: &GvrHome,
        reporter: &dyn Reporter,
    ) -> Result<Option<Arc<LoadedIndex>>, SourceError> {
        let mut slot = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(loaded) = slot.as_ref() {
            return Ok(loaded.clone());
        }
        let loaded = self.load_index(home, reporter)?.map(Arc::new);
        *slot = Some(loaded.clone());
        Ok(loaded)
    }

    /// The version `spec` names. Exact versions need no index; `1.22` and `latest` do.
    pub fn resolve(
        &self,
        home: &GvrHome,
        spec: &VersionSpec,
        reporter: &dyn Reporter,
    ) -> Result<GoVersion, SourceError> {
        match spec {
            // The name Go released it under (`1.20.0` → `1.20`), which archives,
            // VERSION files and versions/ use.
            VersionSpec::Exact(v) => Ok(v.release_name()),
            VersionSpec::System => Err(SourceError::SystemSpec),
            _ => {
                let Some(loaded) = self.index(home, reporter)? else {
                    return Err(SourceError::NoIndex {
                        spec: spec.to_string(),
                        source_name: self.name(),
                        tried: self.index_tried(),
                    });
                };
                loaded
                    .index
                    .resolve(spec)
                    .ok_or_else(|| SourceError::NoMatch {
                        spec: spec.to_string(),
                        source_name: self.name(),
                        nearest: loaded
                            .index
                            .versions()
                            .filter(|v| v.is_stable())
                            .take(5)
                            .cloned()
                            .collect(),
                    })
            }
        }
    }

    /// Finds the archive for `version` on this platform and the checksum to hold it to:
    /// the index's sha256, else the sidecar's, else none.
    pub fn locate(
        &self,
        home: &GvrHome,
        version: &GoVersion,
        reporter: &dyn Reporter,
    ) -> Result<Located, SourceError> {
        let index = match self.index(home, reporter) {
            Ok(i) => i,
            // Offline with no index: a sidecar seen earlier may still say what to expect.
            Err(e @ SourceError::OfflineNoIndex { .. }) => {
                let filename = self.platform.archive_filename(version);
                let Some((sha, url)) = self.cached_sidecar(home, &filename) else {
                    return Err(e);
                };
                return Ok(Located {
                    version: version.clone(),
                    location: self.archive_location(&filename),
                    filename,
                    sha256: Some(sha),
                    size: None,
                    checksum: ChecksumSource::Sidecar { url },
                });
            }
            Err(e) => return Err(e),
        };
        let mut version = version.clone();
        let (filename, mut sha256, size, mut checksum) =
            match &index {
                Some(loaded) => {
                    let (name, release) = loaded.index.entry(&version).ok_or_else(|| {
                        SourceError::UnknownVersion {
                            version: version.clone(),
                            source_name: self.name(),
                            nearest: loaded.index.nearest(&version, 5),
                        }
                    })?;
                    // From here on, the release's own name.
                    version = name.clone();
                    let art = release.archive_for(&self.platform).ok_or_else(|| {
                        SourceError::NoArchive {
                            version: version.clone(),
                            platform: self.platform.to_string(),
                            available: release.archive_platforms(),
                        }
                    })?;
                    let sha = art.sha256();
                    let checksum = match (&sha, &self.location) {
                        (None, _) => ChecksumSource::Unverified,
                        (Some(_), Location::GoDev) => ChecksumSource::Index {
                            url: loaded.url.clone(),
                        },
                        (Some(_), _) => ChecksumSource::MirrorIndex {
                            url: loaded.url.clone(),
                        },
                    };
                    let filename = art.file_name().map_err(|source| SourceError::BadIndex {
                        url: loaded.url.clone(),
                        source,
                    })?;
                    (filename.to_string(), sha, art.size(), checksum)
                }
                None => (
                    self.platform.archive_filename(&version),
                    None,
                    None,
                    ChecksumSource::Unverified,
                ),
            };
        if sha256.is_none() {
            if let Some((sha, url)) = self.sidecar(home, &filename, reporter)? {
                sha256 = Some(sha);
                checksum = ChecksumSource::Sidecar { url };
            }
        }
        let location = self.archive_location(&filename);
        Ok(Located {
            version,
            filename,
            location,
            sha256,
            size,
            checksum,
        })
    }

    fn sidecar_cache_path(&self, home: &GvrHome, filename: &str) -> PathBuf {
        home.index_cache_dir()
            .join(format!("{}.sidecars", self.cache_key()))
            .join(format!("{filename}.sha256"))
    }

    fn cached_sidecar(&self, home: &GvrHome, filename: &str) -> Option<(String, String)> {
        let text = std::fs::read_to_string(self.sidecar_cache_path(home, filename)).ok()?;
        let (url, sha) = text.split_once('\n')?;
        Some((parse_sidecar(sha)?, url.to_string()))
    }

    /// The sidecar `<filename>.sha256`: `Ok(None)` when there is none.
    fn sidecar(
        &self,
        home: &GvrHome,
        filename: &str,
        reporter: &dyn Reporter,
    ) -> Result<Option<(String, String)>, SourceError> {
        let (url, content) = match self.archive_location(&format!("{filename}.sha256")) {
            ArchiveLocation::Path(p) => {
                let url = file_url(&p);
                match std::fs::read(&p) {
                    Ok(b) => (url, b),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(source) => return Err(SourceError::Io { path: p, source }),
                }
            }
            ArchiveLocation::Url(url) => {
                if self.offline() {
                    return Ok(self.cached_sidecar(home, filename));
                }
                match self.fetcher.get_small(&url, None, reporter) {
                    Ok(Small::Body { bytes, .. }) => (url, bytes),
                    Ok(Small::NotModified) | Err(FetchError::NotFound { .. }) => return Ok(None),
                    // Who answers cannot be trusted: no cached checksum stands in.
                    Err(e) if e.is_trust_failure() => return Err(e.into()),
                    Err(e) => match self.cached_sidecar(home, filename) {
                        Some(c) => {
                            reporter.note(&format!(
                                "{e}; using the sidecar checksum cached from {}",
                                c.1
                            ));
                            return Ok(Some(c));
                        }
                        None => return Err(e.into()),
                    },
                }
            }
        };
        let text = String::from_utf8_lossy(&content);
        let sha = parse_sidecar(&text).ok_or_else(|| SourceError::BadSidecar {
            url: url.clone(),
            content: text.chars().take(80).collect::<String>().trim().to_string(),
        })?;
        if matches!(self.location, Location::Http(_) | Location::GoDev) {
            let path = self.sidecar_cache_path(home, filename);
            let _ = write_atomic(&path, format!("{url}\n{sha}\n").as_bytes());
        }
        Ok(Some((sha, url)))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn index_ttl() -> Duration {
    std::env::var("GVR_INDEX_TTL")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_INDEX_TTL)
}

/// A sidecar holds the hex digest, maybe followed by whitespace and a file name (the
/// `sha256sum` format).
pub fn parse_sidecar(text: &str) -> Option<String> {
    let first = text
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .next()?;
    let first = first.to_ascii_lowercase();
    is_sha256_hex(&first).then_some(first)
}

/// `https://…`, `http://…`, `file://…` or a directory path.
pub fn parse_location(m: &str) -> Result<Location, SourceError> {
    let lower = m.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(Location::Http(m.trim_end_matches('/').to_string()));
    }
    if m.starts_with("file://") {
        return file_url_path(m)
            .map(Location::Dir)
            .ok_or_else(|| SourceError::BadMirror(m.to_string()));
    }
    if m.contains("://") {
        return Err(SourceError::BadMirror(m.to_string()));
    }
    let p = PathBuf::from(m);
    let p = if p.is_absolute() {
        p
    } else {
        std::env::current_dir()
            .map_err(|source| SourceError::Io {
                path: p.clone(),
                source,
            })?
            .join(p)
    };
    Ok(Location::Dir(p))
}

#[cfg(test)]
mod tests;

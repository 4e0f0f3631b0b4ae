//! Go releases from any GOPROXY: since Go 1.21 every release is also the module
//! `golang.org/toolchain@v0.0.1-go<version>.<goos>-<goarch>`, which proxies serve
//! (`@v/list`, `@v/<version>.zip`) and the checksum database vouches for. The list is
//! walked as the go command walks it (`,` falls through on "not found", `|` on any
//! error, `off` stops, `direct` cannot serve this module); `file://` proxies are read
//! in place; `.netrc` credentials go to the hosts they name.
//!
//! HTTP stays behind [`Http`], so the transport can change without touching this.

// Errors carry URLs and versions users need; they happen once per command.
#![allow(clippy::result_large_err)]

pub mod config;
mod http;
pub mod modzip;

use std::io;
use std::path::PathBuf;

use super::distpack::{self, TOOLCHAIN_MODULE};
use super::index::Platform;
use super::source::parse_location;
use super::source::Location;
use super::sumdb::{self, Remote, RemoteError};
use crate::report::Reporter;
use crate::version::{GoVersion, VersionSpec};
pub use config::Proxy;
pub use gvr_core::go_env_file::GoEnv;
pub use http::FetcherHttp;

/// How a GET failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// 404 or 410.
    #[error("{0} does not exist")]
    NotFound(String),
    /// Any other failure (after the transport's own retries).
    #[error("{0}")]
    Failed(String),
    /// The server could not show it is who it claims (a certificate error, an https to
    /// http redirect): never a reason to carry on as if it were merely down.
    #[error("{0}")]
    Untrusted(String),
}

/// The transport: small GETs and streamed downloads. URLs may carry `user:password@`.
pub trait Http: Sync {
    fn get(&self, url: &str, reporter: &dyn Reporter) -> Result<Vec<u8>, HttpError>;
    fn download(
        &self,
        url: &str,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, HttpError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(transparent)]
    List(#[from] config::ProxyListError),
    #[error("GOPROXY is `off`: no proxy may be used; set GOPROXY (e.g. https://proxy.golang.org) or use go.dev / --mirror")]
    Off,
    #[error("no GOPROXY entry serves {what}{}; tried: {}", if .notes.is_empty() { String::new() } else { format!(" ({})", .notes.join("; ")) }, .tried.join(", "))]
    NotFound {
        what: String,
        tried: Vec<String>,
        notes: Vec<String>,
    },
    #[error("{url}: {why}; check GOPROXY, or end the entry with `|` to fall back to the next proxy on any error")]
    Failed { url: String, why: String },
    #[error("no Go release matches `{spec}` in the GOPROXY's list of golang.org/toolchain versions for {platform}")]
    NoMatch { spec: String, platform: String },
    #[error("`system` means the Go on PATH outside gvr; there is nothing to install")]
    SystemSpec,
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Where a module zip is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipLocation {
    /// An http(s) URL without credentials (shown to users) and the one to fetch.
    Url {
        public: String,
        fetch: String,
    },
    Path(PathBuf),
}

impl std::fmt::Display for ZipLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZipLocation::Url { public, .. } => f.write_str(public),
            ZipLocation::Path(p) => f.write_str(&super::source::file_url(p)),
        }
    }
}

/// The GOPROXY list as gvr uses it for the toolchain module.
pub struct GoProxy<'a> {
    proxies: Vec<Proxy>,
    http: &'a dyn Http,
    platform: Platform,
    /// The raw GOPROXY value, for messages.
    setting: String,
}

impl<'a> GoProxy<'a> {
    /// GOPROXY from the environment, else Go's env file, else Go's default.
    pub fn from_env(
        env: &GoEnv,
        p: &dyn gvr_core::process::Process,
        http: &'a dyn Http,
    ) -> Result<GoProxy<'a>, ProxyError> {
        let setting = config::go_setting(env, p, "GOPROXY")
            .unwrap_or_else(|| config::DEFAULT_GOPROXY.to_string());
        GoProxy::new(&setting, http)
    }

    pub fn new(setting: &str, http: &'a dyn Http) -> Result<GoProxy<'a>, ProxyError> {
        Ok(GoProxy {
            proxies: config::parse_proxy_list(setting)?,
            http,
            platform: Platform::current(),
            setting: setting.to_string(),
        })
    }

    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// The same list for another platform's toolchain modules (a mirror sync).
    pub fn for_platform(&self, platform: Platform) -> GoProxy<'a> {
        GoProxy {
            proxies: self.proxies.clone(),
            http: self.http,
            platform,
            setting: self.setting.clone(),
        }
    }

    /// GETs `rel` (e.g. `golang.org/toolchain/@v/<version>.info`) from the first proxy
    /// that has it. Returns the body and the URL it came from.
    pub fn get_file(
        &self,
        rel: &str,
        reporter: &dyn Reporter,
    ) -> Result<(Vec<u8>, String), ProxyError> {
        let (body, base) = self.walk(rel, reporter, |base| self.get(base, rel, reporter))?;
        Ok((body, format!("{base}/{rel}")))
    }

    /// Only one `file://` proxy: Go installs toolchains from it without the checksum
    /// database (that is how a release is tested before publication).
    pub fn is_single_file_proxy(&self) -> bool {
        matches!(self.proxies.as_slice(), [Proxy::Url { url, .. }] if url.starts_with("file://"))
    }

    /// The module version for `version` on this platform.
    pub fn module_version(&self, version: &GoVersion) -> String {
        distpack::module_version(version, &self.platform)
    }

    /// Tries `get` on each proxy in order, as the go command does. Returns the answer
    /// and the proxy that gave it.
    fn walk<T>(
        &self,
        what: &str,
        reporter: &dyn Reporter,
        mut get: impl FnMut(&str) -> Result<T, (String, HttpError)>,
    ) -> Result<(T, String), ProxyError> {
        let mut tried = Vec::new();
        let mut notes = Vec::new();
        for p in &self.proxies {
            match p {
                Proxy::Off => {
                    if tried.is_empty() {
                        return Err(ProxyError::Off);
                    }
                    break;
                }
                Proxy::Direct => {
                    let note = format!("`direct` cannot fetch {TOOLCHAIN_MODULE}, which has no source repository; skipped");
                    reporter.note(&note);
                    notes.push(note);
                    break;
                }
                Proxy::Url {
                    url,
                    fall_back_on_error,
                } => match get(url) {
                    Ok(v) => return Ok((v, url.clone())),
                    Err((shown, HttpError::NotFound(_))) => tried.push(shown),
                    Err((shown, HttpError::Failed(why) | HttpError::Untrusted(why)))
                        if *fall_back_on_error =>
                    {
                        reporter.note(&format!("{why}; trying the next GOPROXY entry"));
                        tried.push(shown);
                    }
                    Err((shown, HttpError::Failed(why) | HttpError::Untrusted(why))) => {
                        return Err(ProxyError::Failed { url: shown, why })
                    }
                },
            }
        }
        Err(ProxyError::NotFound {
            what: what.to_string(),
            tried,
            notes,
        })
    }

    /// GETs `rel` under a proxy base: from disk for `file://`, else over HTTP with any
    /// `.netrc` credentials. The error carries the URL without credentials.
    fn get(
        &self,
        base: &str,
        rel: &str,
        reporter: &dyn Reporter,
    ) -> Result<Vec<u8>, (String, HttpError)> {
        let public = format!("{base}/{rel}");
        if let Some(path) = file_path(&public) {
            return match std::fs::read(&path) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    Err((public.clone(), HttpError::NotFound(public)))
                }
                Err(e) => Err((
                    public.clone(),
                    HttpError::Failed(format!("reading {}: {e}", path.display())),
                )),
            };
        }
        let fetch = with_credentials(&public);
        self.http
            .get(&fetch, reporter)
            .map_err(|e| (public.clone(), redact(e, &fetch, &public)))
    }

    /// The releases for this platform the first answering proxy lists.
    pub fn versions(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<(Vec<GoVersion>, String), ProxyError> {
        let rel = format!("{}/@v/list", sumdb::escape(TOOLCHAIN_MODULE));
        let (body, proxy) =
            self.walk(&format!("{TOOLCHAIN_MODULE}/@v/list"), reporter, |base| {
                self.get(base, &rel, reporter)
            })?;
        let mut versions: Vec<GoVersion> = String::from_utf8_lossy(&body)
            .lines()
            .filter_map(|l| distpack::release_of(l.trim(), &self.platform))
            .collect();
        versions.sort();
        versions.dedup();
        Ok((versions, proxy))
    }

    /// The release `spec` names: exact versions as typed, the rest from `@v/list`.
    pub fn resolve(
        &self,
        spec: &VersionSpec,
        reporter: &dyn Reporter,
    ) -> Result<GoVersion, ProxyError> {
        match spec {
            VersionSpec::Exact(v) => Ok(v.release_name()),
            VersionSpec::System => Err(ProxyError::SystemSpec),
            _ => {
                let (versions, _) = self.versions(reporter)?;
                spec.pick(versions.iter())
                    .cloned()
                    .ok_or_else(|| ProxyError::NoMatch {
                        spec: spec.to_string(),
                        platform: self.platform.to_string(),
                    })
            }
        }
    }

    /// Finds the module zip of `version`: the first proxy that has it (a `file://`
    /// one by path, an http one by a GET of its `.info`, which is small).
    pub fn locate(
        &self,
        version: &GoVersion,
        reporter: &dyn Reporter,
    ) -> Result<ZipLocation, ProxyError> {
        let mv = self.module_version(version);
        let module = sumdb::escape(TOOLCHAIN_MODULE);
        let (loc, _) = self.walk(&format!("{TOOLCHAIN_MODULE}@{mv}"), reporter, |base| {
            let zip = format!("{base}/{module}/@v/{mv}.zip");
            if let Some(path) = file_path(&zip) {
                return if path.is_file() {
                    Ok(ZipLocation::Path(path))
                } else {
                    Err((zip.clone(), HttpError::NotFound(zip)))
                };
            }
            self.get(base, &format!("{module}/@v/{mv}.info"), reporter)?;
            Ok(ZipLocation::Url {
                fetch: with_credentials(&zip),
                public: zip,
            })
        })?;
        Ok(loc)
    }

    /// Streams an http zip into `sink`.
    pub fn download(
        &self,
        loc: &ZipLocation,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, ProxyError> {
        match loc {
            ZipLocation::Url { public, fetch } => self
                .http
                .download(fetch, reporter, sink)
                .map_err(|e| ProxyError::Failed {
                    url: public.clone(),
                    why: redact(e, fetch, public).to_string(),
                }),
            ZipLocation::Path(p) => Err(ProxyError::Io {
                path: p.clone(),
                source: io::Error::other("a file:// zip is read in place"),
            }),
        }
    }

    /// How to reach checksum database `db`: through the first proxy that says it
    /// supports it (`<proxy>/sumdb/<name>/supported`), else directly — or at the URL
    /// GOSUMDB names, which bypasses proxies.
    pub fn sumdb_remote(&self, db: &sumdb::Database, reporter: &dyn Reporter) -> SumdbRemote<'_> {
        if let Some(url) = &db.url {
            return SumdbRemote::new(self, url.clone());
        }
        for p in &self.proxies {
            let Proxy::Url {
                url,
                fall_back_on_error,
            } = p
            else {
                break;
            };
            let base = format!("{url}/sumdb/{}", db.name);
            match self.get(&base, "supported", reporter) {
                Ok(_) => return SumdbRemote::new(self, base),
                Err((_, HttpError::NotFound(_))) => continue,
                Err(_) if *fall_back_on_error => continue,
                // Go treats the database as unavailable then; so does asking it directly
                // below, which fails the same way when the network is down.
                Err(_) => break,
            }
        }
        SumdbRemote::new(self, db.direct_url())
    }
}

/// A checksum database reached at `base` through the proxy's transport.
pub struct SumdbRemote<'p> {
    proxy: &'p GoProxy<'p>,
    base: String,
}

impl<'p> SumdbRemote<'p> {
    fn new(proxy: &'p GoProxy<'p>, base: String) -> SumdbRemote<'p> {
        SumdbRemote { proxy, base }
    }
}

impl Remote for SumdbRemote<'_> {
    fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.proxy
            .get(&self.base, path, &crate::report::Silent)
            .map_err(|(url, e)| match e {
                HttpError::NotFound(_) => RemoteError::NotFound { url },
                HttpError::Failed(why) | HttpError::Untrusted(why) => RemoteError::Unreachable(why),
            })
    }

    fn base(&self) -> String {
        self.base.clone()
    }
}

/// The local path of a `file://` URL.
fn file_path(url: &str) -> Option<PathBuf> {
    if !url.starts_with("file://") {
        return None;
    }
    match parse_location(url) {
        Ok(Location::Dir(p)) => Some(p),
        _ => None,
    }
}

/// `https://user:password@host/…` when `.netrc` has credentials for the host.
fn with_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host_port = rest.split('/').next().unwrap_or("");
    if host_port.contains('@') {
        return url.to_string();
    }
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    match config::netrc_credentials(host) {
        Some((login, password)) => format!(
            "{scheme}://{}:{}@{rest}",
            percent_encode(&login),
            percent_encode(&password)
        ),
        None => url.to_string(),
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Keeps credentials out of messages.
fn redact(e: HttpError, fetch: &str, public: &str) -> HttpError {
    match e {
        HttpError::NotFound(m) => HttpError::NotFound(m.replace(fetch, public)),
        HttpError::Failed(m) => HttpError::Failed(m.replace(fetch, public)),
        HttpError::Untrusted(m) => HttpError::Untrusted(m.replace(fetch, public)),
    }
}

#[cfg(test)]
mod tests;

//! HTTP with the habits a flaky network needs: timeouts, retries with exponential
//! backoff (or the server's `Retry-After`) on connection errors, 5xx and truncated
//! bodies, resume with `Range` + `If-Range` where the server supports it (restart where
//! it does not), an overall deadline, and never an HTML error page or a short body
//! taken for an archive.
//!
//! The pieces, each small enough to read on its own:
//! - [`http`] sends one request and follows redirects itself, refusing https → http;
//!   a certificate the trust store rejects is fatal at once.
//! - [`classify`] turns a response's status and headers, against what the transfer has
//!   seen so far, into one decision: read, resume, restart, retry or fail.
//! - [`pump`] moves a body into the caller's [`Sink`], skipping bytes an earlier attempt
//!   delivered and holding back the first ones until they look like an archive.
//! - [`retry`] decides how long to wait and when to give up.

use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use crate::report::Reporter;

mod classify;
mod http;
mod local;
mod pump;
mod retry;
#[cfg(test)]
mod tests;
mod trust;

use classify::{classify, Head, Plan, Transfer};
use pump::Delivery;
use retry::{Attempt, Deadline};

pub use local::copy_local;

/// Bytes read per call from the network or disk: large, because per-call overhead adds
/// up over an SDK archive, and no larger, because up to 16 chunks wait for the unpacker
/// (reqwest fills whole chunks where ureq returned what one socket read had: at 256 KiB
/// peak RSS grew by 2-3 MB for no speed).
pub const CHUNK: usize = 128 * 1024;

/// The most a small document (an index, a sidecar) may weigh.
const SMALL_LIMIT: u64 = 256 * 1024 * 1024;

/// Default overall deadline for one fetch, retries included (`GVR_DOWNLOAD_TIMEOUT`).
const DEFAULT_DEADLINE: Duration = Duration::from_secs(3600);

/// How the fetcher behaves; [`FetchConfig::from_env`] reads the knobs.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub offline: bool,
    /// Tries per request before giving up (progress on a download resets the count).
    pub attempts: u32,
    /// First backoff delay; doubled after each failure.
    pub retry_base: Duration,
    pub connect_timeout: Duration,
    /// The longest wait for a response or for the next bytes of a body.
    pub read_timeout: Duration,
    /// How long one fetch may take in all, retries and waits included (`None`: no limit).
    pub deadline: Option<Duration>,
}

impl FetchConfig {
    /// Defaults, with `GVR_RETRY_BASE_MS` overriding the first backoff delay and
    /// `GVR_DOWNLOAD_TIMEOUT` (seconds, `0` for none) the overall deadline.
    pub fn from_env(offline: bool) -> FetchConfig {
        let base_ms = env_number("GVR_RETRY_BASE_MS").unwrap_or(500);
        let deadline = match env_number("GVR_DOWNLOAD_TIMEOUT") {
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(s)),
            None => Some(DEFAULT_DEADLINE),
        };
        FetchConfig {
            offline,
            attempts: 4,
            retry_base: Duration::from_millis(base_ms),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            deadline,
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not fetching {url}: offline mode (--offline / GVR_OFFLINE=1) forbids network access")]
    Offline { url: String },
    #[error("cannot reach {url} (tried {attempts} times): {reason}; check the URL and your network, or pass another --mirror")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url} does not exist (HTTP {status})")]
    NotFound { url: String, status: u16 },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} did not return a Go archive: {what}")]
    NotAnArchive { url: String, what: String },
    #[error(
        "{url} is {got} bytes but {expected} were expected; the mirror serves a different file"
    )]
    SizeMismatch {
        url: String,
        expected: u64,
        got: u64,
    },
    #[error("{url} redirects to {to}: refusing to leave https for plain http; fix the mirror's redirect or use an http:// mirror URL knowingly")]
    Downgrade { url: String, to: String },
    #[error("{url} redirects to {to}: {why}")]
    BadRedirect {
        url: String,
        to: String,
        why: String,
    },
    #[error("the TLS certificate of {url} is not trusted: {reason}; if a proxy or a private certificate authority signs it, point SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR at its certificate")]
    Certificate { url: String, reason: String },
    #[error("{url} changed while it was being downloaded (its ETag or Last-Modified differs from the first response); run the command again")]
    Changed { url: String },
    #[error("fetching {url} took longer than {}s; raise GVR_DOWNLOAD_TIMEOUT (seconds, 0 for no limit) for a slow link", .after.as_secs())]
    TimedOut { url: String, after: Duration },
    #[error("{url} asks to retry after {}s (Retry-After), longer than gvr waits ({}s); try again later", .after.as_secs(), retry::MAX_RETRY_AFTER.as_secs())]
    RetryLater { url: String, after: Duration },
    #[error("`{url}` is not a valid URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot set up the HTTP client: {reason}; check HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY")]
    Client { reason: String },
    #[error("reading {path}: {source}")]
    Local { path: String, source: io::Error },
    /// The consumer of the bytes failed (disk full, unpack error); the caller knows why.
    #[error("{0}")]
    Sink(io::Error),
}

impl FetchError {
    /// A problem with who is answering rather than with the network: a cached copy of
    /// what that source said must not stand in for it.
    pub fn is_trust_failure(&self) -> bool {
        matches!(
            self,
            FetchError::Certificate { .. }
                | FetchError::Downgrade { .. }
                | FetchError::BadRedirect { .. }
        )
    }
}

/// The answer to a small (index, sidecar) request.
#[derive(Debug)]
pub enum Small {
    /// 304: the cached copy is still current.
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
        /// The `Content-Type` as sent (lower-cased), to tell an HTML page from data.
        content_type: Option<String>,
    },
}

/// Cache validators sent with a conditional GET.
#[derive(Debug, Default, Clone)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Where downloaded bytes go, exactly once each and in order, across retries.
pub trait Sink {
    type Error;
    fn accept(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

impl<F: FnMut(&[u8]) -> io::Result<()> + ?Sized> Sink for F {
    type Error = io::Error;
    fn accept(&mut self, bytes: &[u8]) -> io::Result<()> {
        self(bytes)
    }
}

/// Why a transfer into a [`Sink`] failed: the fetch, or the sink's own typed error.
#[derive(Debug)]
pub enum Failed<E> {
    Fetch(FetchError),
    Sink(E),
}

impl<E> From<FetchError> for Failed<E> {
    fn from(e: FetchError) -> Failed<E> {
        Failed::Fetch(e)
    }
}

impl Failed<io::Error> {
    /// The closure-sink form: the sink's error as [`FetchError::Sink`].
    pub fn flatten(self) -> FetchError {
        match self {
            Failed::Fetch(e) => e,
            Failed::Sink(e) => FetchError::Sink(e),
        }
    }
}

/// What a body must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// A .tar.gz or .zip: its first bytes are checked before anything is delivered.
    Archive,
    /// Any file (a prebuilt gopls).
    File,
}

pub struct Fetcher {
    cfg: FetchConfig,
    /// Built on first use: a file:// install never starts the HTTP machinery.
    http: OnceLock<Result<http::Http, String>>,
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Fetcher {
        Fetcher {
            cfg,
            http: OnceLock::new(),
        }
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    fn http(&self) -> Result<&http::Http, FetchError> {
        self.http
            .get_or_init(|| http::Http::new(&self.cfg))
            .as_ref()
            .map_err(|reason| FetchError::Client {
                reason: reason.clone(),
            })
    }

    /// GETs a small document (an index or a sidecar), conditionally when `validators`
    /// are given. Retries connection errors and 5xx.
    pub fn get_small(
        &self,
        url: &str,
        validators: Option<&Validators>,
        reporter: &dyn Reporter,
    ) -> Result<Small, FetchError> {
        let deadline = Deadline::start(self.cfg.deadline);
        retry::retrying(&self.cfg, url, reporter, &deadline, || {
            (self.small_attempt(url, validators), false)
        })
        .map_err(|e| match e {
            Failed::Fetch(e) => e,
            Failed::Sink(never) => match never {},
        })
    }

    fn small_attempt(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Small, Attempt<std::convert::Infallible>> {
        let mut headers = Vec::new();
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                headers.push(("if-none-match", etag.as_str()));
            }
            if let Some(lm) = &v.last_modified {
                headers.push(("if-modified-since", lm.as_str()));
            }
        }
        let resp = self.http()?.get(url, &headers)?;
        let head = Head::of(&resp);
        match head.status {
            200 => {}
            304 if validators.is_some() => return Ok(Small::NotModified),
            404 | 410 => {
                return Err(FetchError::NotFound {
                    url: url.to_string(),
                    status: head.status,
                }
                .into())
            }
            s if classify::retryable_status(s) => {
                return Err(Attempt::Retry {
                    reason: format!("HTTP {s}"),
                    after: head.retry_after,
                })
            }
            s => {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: s,
                }
                .into())
            }
        }
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::Read::take(resp, SMALL_LIMIT), &mut bytes).map_err(|e| {
            Attempt::Retry {
                reason: format!("reading the body: {}", http::describe(&e)),
                after: None,
            }
        })?;
        Ok(Small::Body {
            bytes,
            etag: head.etag,
            last_modified: head.last_modified,
            content_type: head.content_type,
        })
    }

    /// Streams the archive at `url` into `sink`, exactly once per byte and in order,
    /// across retries. Returns the number of bytes delivered. See [`Fetcher::download_to`].
    pub fn download(
        &self,
        url: &str,
        expected_size: Option<u64>,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        self.download_to(url, expected_size, Payload::Archive, reporter, sink)
            .map_err(Failed::flatten)
    }

    /// [`Fetcher::download`] for a file that is not an archive (a prebuilt gopls): the
    /// same retries, resume and size checks, without the archive magic-number check.
    pub fn download_file(
        &self,
        url: &str,
        expected_size: Option<u64>,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        self.download_to(url, expected_size, Payload::File, reporter, sink)
            .map_err(Failed::flatten)
    }

    /// [`Fetcher::download_file`] continuing a file of which the first `offset` bytes are
    /// already on disk (a download an earlier process began): asks for the rest with
    /// `Range`, and a server that ignores it is read from the start with those bytes
    /// skipped. `sink` gets only the bytes after `offset`; returns the file's full size.
    pub fn download_file_from(
        &self,
        url: &str,
        offset: u64,
        expected_size: Option<u64>,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        let transfer = Transfer::from_offset(expected_size, offset);
        self.transfer(url, transfer, Payload::File, reporter, sink)
            .map_err(Failed::flatten)
    }

    /// Streams `url` into `sink` with the sink's own error type kept apart from the
    /// fetch's. A resumed (206) response continues where the last one broke off; a
    /// server that ignores `Range` (200) is read from the start and the bytes already
    /// delivered are skipped, unless its validators show the file changed meanwhile.
    /// The size is fixed by `expected_size` or the first response: any later answer
    /// that disagrees is an error, never a new expectation.
    pub fn download_to<S: Sink + ?Sized>(
        &self,
        url: &str,
        expected_size: Option<u64>,
        payload: Payload,
        reporter: &dyn Reporter,
        sink: &mut S,
    ) -> Result<u64, Failed<S::Error>> {
        self.transfer(url, Transfer::new(expected_size), payload, reporter, sink)
    }

    fn transfer<S: Sink + ?Sized>(
        &self,
        url: &str,
        mut transfer: Transfer,
        payload: Payload,
        reporter: &dyn Reporter,
        sink: &mut S,
    ) -> Result<u64, Failed<S::Error>> {
        let deadline = Deadline::start(self.cfg.deadline);
        let mut out = Delivery::new(sink, payload);
        let mut buf = vec![0u8; CHUNK];
        retry::retrying(&self.cfg, url, reporter, &deadline, || {
            let before = transfer.received;
            let result = self
                .download_attempt(url, &mut transfer, &mut out, &mut buf, &deadline, reporter)
                .map(|()| transfer.received);
            (result, transfer.received > before)
        })
    }

    fn download_attempt<S: Sink + ?Sized>(
        &self,
        url: &str,
        t: &mut Transfer,
        out: &mut Delivery<'_, S>,
        buf: &mut [u8],
        deadline: &Deadline,
        reporter: &dyn Reporter,
    ) -> Result<(), Attempt<S::Error>> {
        let resumed = t.resuming();
        let range = format!("bytes={}-", t.received);
        // Archives must arrive byte for byte: no content coding asked for (and none
        // decoded: the client has no decompression built in).
        let mut headers = vec![("accept-encoding", "identity")];
        if resumed {
            headers.push(("range", range.as_str()));
            if let Some(v) = &t.validator {
                headers.push(("if-range", v.as_str()));
            }
        }
        let mut resp = self.http()?.get(url, &headers)?;
        let head = Head::of(&resp);
        match classify(url, &head, t, resumed) {
            Plan::Complete => {}
            Plan::Retry { reason, after } => return Err(Attempt::Retry { reason, after }),
            Plan::Fail(e) => return Err(e.into()),
            Plan::Read { skip, restarted } => {
                if restarted {
                    reporter.note(&format!(
                        "{url}: the server ignores Range; downloading again from the start"
                    ));
                }
                pump::pump(url, &mut resp, skip, t, out, buf, deadline, reporter)?;
            }
        }
        out.finish(url).map_err(Attempt::Fail)
    }
}

/// Refuses anything that does not start like a gzip stream or a zip archive, naming
/// what it looks like instead (an HTML page is the usual culprit).
pub fn check_magic(url: &str, head: &[u8]) -> Result<(), FetchError> {
    if crate::dist::unpack::Format::sniff(head).is_some() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(16)]).into_owned();
    let what = if head.is_empty() {
        "the body is empty".to_string()
    } else if text.trim_start().starts_with('<') {
        format!(
            "it is an HTML page (starts with `{}`), not a .tar.gz or .zip",
            text.trim()
        )
    } else {
        format!(
            "it starts with bytes {:02x?}, neither gzip (1f 8b) nor zip (PK 03 04)",
            &head[..head.len().min(4)]
        )
    };
    Err(FetchError::NotAnArchive {
        url: url.to_string(),
        what,
    })
}

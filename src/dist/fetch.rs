//! HTTP with the habits a flaky network needs: timeouts, retries with exponential
//! backoff on connection errors, 5xx and truncated bodies, resume with `Range` where the
//! server supports it (restart where it does not), and never an HTML error page or a
//! short body taken for an archive.

use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use crate::report::Reporter;

/// Bytes read per call from the network or disk; large, because per-call overhead adds up
/// over an SDK archive.
pub const CHUNK: usize = 256 * 1024;

/// How the fetcher behaves; [`FetchConfig::from_env`] reads the test knobs.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub offline: bool,
    /// Tries per request before giving up (progress on a download resets the count).
    pub attempts: u32,
    /// First backoff delay; doubled after each failure.
    pub retry_base: Duration,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl FetchConfig {
    /// Defaults, with `GVR_RETRY_BASE_MS` overriding the first backoff delay.
    pub fn from_env(offline: bool) -> FetchConfig {
        let base_ms = std::env::var("GVR_RETRY_BASE_MS")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(500);
        FetchConfig {
            offline,
            attempts: 4,
            retry_base: Duration::from_millis(base_ms),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
        }
    }
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
    #[error("reading {path}: {source}")]
    Local { path: String, source: io::Error },
    /// The consumer of the bytes failed (disk full, unpack error); the caller knows why.
    #[error("{0}")]
    Sink(io::Error),
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
    },
}

/// Cache validators sent with a conditional GET.
#[derive(Debug, Default, Clone)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub struct Fetcher {
    agent: ureq::Agent,
    cfg: FetchConfig,
}

/// How one attempt ended when it did not finish.
enum Failure {
    Retry(String),
    Fatal(FetchError),
}

/// Where a download stands across attempts.
struct Progress<'a> {
    received: u64,
    /// The first bytes, held back until the magic number can be checked.
    head: Vec<u8>,
    head_checked: bool,
    use_range: bool,
    sink: &'a mut dyn FnMut(&[u8]) -> io::Result<()>,
}

impl Progress<'_> {
    fn deliver(&mut self, url: &str, bytes: &[u8]) -> Result<(), Failure> {
        self.received += bytes.len() as u64;
        if self.head_checked {
            return (self.sink)(bytes).map_err(|e| Failure::Fatal(FetchError::Sink(e)));
        }
        self.head.extend_from_slice(bytes);
        if self.head.len() >= 4 {
            check_magic(url, &self.head).map_err(Failure::Fatal)?;
            self.head_checked = true;
            let head = std::mem::take(&mut self.head);
            (self.sink)(&head).map_err(|e| Failure::Fatal(FetchError::Sink(e)))?;
        }
        Ok(())
    }

    fn finish(&mut self, url: &str) -> Result<(), FetchError> {
        if !self.head_checked {
            // A body shorter than the lookahead: check it and hand it on all the same.
            check_magic(url, &self.head)?;
            self.head_checked = true;
            let head = std::mem::take(&mut self.head);
            (self.sink)(&head).map_err(FetchError::Sink)?;
        }
        Ok(())
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

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Fetcher {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(cfg.connect_timeout))
            .timeout_recv_response(Some(cfg.read_timeout))
            .timeout_per_read(Some(cfg.read_timeout))
            .user_agent(format!("gvr/{}", crate::GVR_VERSION))
            // The system's trust store, as the go command uses: corporate and
            // intercepting proxies install their CA there, not in a bundled list.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        Fetcher {
            agent: config.new_agent(),
            cfg,
        }
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    fn backoff(&self, failures: u32) -> Duration {
        self.cfg
            .retry_base
            .saturating_mul(1u32 << (failures.saturating_sub(1)).min(16))
    }

    /// GETs a small document (an index or a sidecar), conditionally when `validators`
    /// are given. Retries connection errors and 5xx.
    pub fn get_small(
        &self,
        url: &str,
        validators: Option<&Validators>,
        reporter: &dyn Reporter,
    ) -> Result<Small, FetchError> {
        self.retrying(url, reporter, || {
            (self.small_attempt(url, validators), false)
        })
    }

    /// Runs `attempt` until it succeeds or fails for good (offline: not at all). A
    /// retryable failure is noted and backed off, up to `attempts` failures in a row; an
    /// attempt that reports progress (`true`) restarts that count, up to 100 attempts in
    /// all: a link that keeps delivering is worth staying on, one that stalls is not.
    fn retrying<T>(
        &self,
        url: &str,
        reporter: &dyn Reporter,
        mut attempt: impl FnMut() -> (Result<T, Failure>, bool),
    ) -> Result<T, FetchError> {
        if self.cfg.offline {
            return Err(FetchError::Offline {
                url: url.to_string(),
            });
        }
        let mut failures = 0;
        let mut total_attempts = 0;
        loop {
            total_attempts += 1;
            let (result, progressed) = attempt();
            let reason = match result {
                Ok(done) => return Ok(done),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(reason)) => reason,
            };
            if progressed && total_attempts < 100 {
                failures = 0;
            }
            failures += 1;
            if failures >= self.cfg.attempts {
                return Err(FetchError::Unreachable {
                    url: url.to_string(),
                    attempts: total_attempts,
                    reason,
                });
            }
            let delay = self.backoff(failures);
            reporter.note(&format!(
                "{url}: {reason}; retrying in {delay:?} ({failures}/{})",
                self.cfg.attempts
            ));
            std::thread::sleep(delay);
        }
    }

    fn small_attempt(&self, url: &str, validators: Option<&Validators>) -> Result<Small, Failure> {
        let mut req = self.agent.get(url);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header("if-none-match", etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header("if-modified-since", lm);
            }
        }
        let resp = req.call().map_err(|e| Failure::Retry(e.to_string()))?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            304 if validators.is_some() => return Ok(Small::NotModified),
            404 | 410 => {
                return Err(Failure::Fatal(FetchError::NotFound {
                    url: url.to_string(),
                    status,
                }))
            }
            s if retryable_status(s) => return Err(Failure::Retry(format!("HTTP {s}"))),
            s => {
                return Err(Failure::Fatal(FetchError::Status {
                    url: url.to_string(),
                    status: s,
                }))
            }
        }
        let etag = header(&resp, "etag");
        let last_modified = header(&resp, "last-modified");
        let bytes = resp
            .into_body()
            .into_with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| Failure::Retry(format!("reading the body: {e}")))?;
        Ok(Small::Body {
            bytes,
            etag,
            last_modified,
        })
    }

    /// Streams the archive at `url` into `sink`, exactly once per byte and in order, across
    /// retries: a resumed (206) response continues where the last one broke off; a server
    /// that ignores `Range` (200) is read from the start and the bytes already delivered
    /// are skipped. Returns the number of bytes delivered.
    pub fn download(
        &self,
        url: &str,
        expected_size: Option<u64>,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        self.download_checked(url, expected_size, true, reporter, sink)
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
        self.download_checked(url, expected_size, false, reporter, sink)
    }

    /// [`Fetcher::download_file`] continuing a file of which the first `offset` bytes are
    /// already on disk (a download an earlier process began): asks for the rest with
    /// `Range`, and a server that ignores it is read from the start with those bytes
    /// skipped. `sink` gets only the bytes after `offset`.
    pub fn download_file_from(
        &self,
        url: &str,
        offset: u64,
        expected_size: Option<u64>,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        self.download_inner(url, offset, expected_size, false, reporter, sink)
    }

    fn download_checked(
        &self,
        url: &str,
        expected_size: Option<u64>,
        archive: bool,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        self.download_inner(url, 0, expected_size, archive, reporter, sink)
    }

    fn download_inner(
        &self,
        url: &str,
        offset: u64,
        expected_size: Option<u64>,
        archive: bool,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, FetchError> {
        let mut p = Progress {
            received: offset,
            head: Vec::new(),
            // Not an archive: nothing to check, every byte goes straight on.
            head_checked: !archive,
            use_range: true,
            sink,
        };
        let mut buf = vec![0u8; CHUNK];
        self.retrying(url, reporter, || {
            let before = p.received;
            let result = self
                .download_attempt(url, expected_size, &mut p, &mut buf, reporter)
                .map(|()| p.received);
            (result, p.received > before)
        })
    }

    fn download_attempt(
        &self,
        url: &str,
        expected_size: Option<u64>,
        p: &mut Progress<'_>,
        buf: &mut [u8],
        reporter: &dyn Reporter,
    ) -> Result<(), Failure> {
        // Archives must arrive byte for byte: no transparent decompression.
        let mut req = self.agent.get(url).header("accept-encoding", "identity");
        let resuming = p.received > 0 && p.use_range;
        if resuming {
            req = req.header("range", format!("bytes={}-", p.received));
        }
        let resp = req.call().map_err(|e| Failure::Retry(e.to_string()))?;
        let status = resp.status().as_u16();
        let fatal = |e| Err(Failure::Fatal(e));
        // Bytes at the start of this response that were already delivered.
        let mut skip = 0u64;
        let mut total: Option<u64> = expected_size;
        match status {
            200 => {
                skip = p.received;
                if let Some(len) =
                    header(&resp, "content-length").and_then(|s| s.parse::<u64>().ok())
                {
                    if let Some(exp) = expected_size.filter(|e| *e != len) {
                        return fatal(FetchError::SizeMismatch {
                            url: url.to_string(),
                            expected: exp,
                            got: len,
                        });
                    }
                    total = Some(len);
                }
                if resuming {
                    reporter.note(&format!(
                        "{url}: the server ignores Range; downloading again from the start"
                    ));
                }
            }
            206 if resuming => {
                let range = header(&resp, "content-range").unwrap_or_default();
                match parse_content_range(&range) {
                    Some((start, t)) if start == p.received => {
                        if let Some(t) = t {
                            total = Some(t);
                        }
                    }
                    _ => {
                        // A range we did not ask for: stop trusting Range on this server.
                        p.use_range = false;
                        return Err(Failure::Retry(format!(
                            "unexpected Content-Range `{range}`"
                        )));
                    }
                }
            }
            416 if resuming => {
                if expected_size == Some(p.received) {
                    return p.finish(url).map_err(Failure::Fatal);
                }
                p.use_range = false;
                return Err(Failure::Retry("the server refused the resume range".into()));
            }
            404 | 410 => {
                return fatal(FetchError::NotFound {
                    url: url.to_string(),
                    status,
                })
            }
            s if retryable_status(s) => return Err(Failure::Retry(format!("HTTP {s}"))),
            s => {
                return fatal(FetchError::Status {
                    url: url.to_string(),
                    status: s,
                })
            }
        }
        if let Some(ct) = header(&resp, "content-type") {
            if ct.to_ascii_lowercase().starts_with("text/html") {
                let what = format!(
                    "HTTP {status} with Content-Type `{ct}` (an HTML page, not an archive)"
                );
                return fatal(FetchError::NotAnArchive {
                    url: url.to_string(),
                    what,
                });
            }
        }
        let mut reader = resp.into_body().into_reader();
        loop {
            let n = match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::Retry(format!(
                        "connection broke after {} bytes: {e}",
                        p.received
                    )))
                }
            };
            let mut chunk = &buf[..n];
            if skip > 0 {
                let s = skip.min(n as u64) as usize;
                skip -= s as u64;
                chunk = &chunk[s..];
            }
            if !chunk.is_empty() {
                reporter.advance(chunk.len() as u64);
                p.deliver(url, chunk)?;
            }
        }
        if skip > 0 {
            return Err(Failure::Retry(format!(
                "the body ended after {} bytes, before where the last try stopped",
                p.received - skip
            )));
        }
        if let Some(t) = total {
            if p.received < t {
                return Err(Failure::Retry(format!(
                    "the body ended after {} of {t} bytes",
                    p.received
                )));
            }
            if p.received > t {
                return fatal(FetchError::SizeMismatch {
                    url: url.to_string(),
                    expected: t,
                    got: p.received,
                });
            }
        }
        p.finish(url).map_err(Failure::Fatal)
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL) with TOTAL `None` for `*`.
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, total))
}

/// Streams a local archive (a mirror directory) into `sink` with the same checks as a
/// download: magic number and size.
pub fn copy_local(
    path: &Path,
    expected_size: Option<u64>,
    reporter: &dyn Reporter,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<u64, FetchError> {
    let shown = path.display().to_string();
    let local = |source| FetchError::Local {
        path: shown.clone(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(local)?;
    let mut p = Progress {
        received: 0,
        head: Vec::new(),
        head_checked: false,
        use_range: false,
        sink,
    };
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(local(e)),
        };
        reporter.advance(n as u64);
        match p.deliver(&shown, &buf[..n]) {
            Ok(()) => {}
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(r)) => return Err(local(io::Error::other(r))),
        }
    }
    if let Some(exp) = expected_size.filter(|e| *e != p.received) {
        return Err(FetchError::SizeMismatch {
            url: shown,
            expected: exp,
            got: p.received,
        });
    }
    p.finish(&shown)?;
    Ok(p.received)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Silent;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A gzip-looking payload (the magic is all the fetcher checks).
    fn payload(n: usize) -> Vec<u8> {
        let mut v = vec![0x1f, 0x8b];
        v.extend((0..n - 2).map(|i| (i * 7 % 251) as u8));
        v
    }

    /// What the toy server does for request number `i` (0-based) given its Range start.
    type Behaviour = dyn Fn(usize, Option<u64>, &[u8]) -> Vec<u8> + Send + Sync;

    /// Serves `requests` connections on loopback; returns the URL and the request count.
    fn serve(body: Vec<u8>, behaviour: Arc<Behaviour>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/go.tar.gz", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let i = c.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut range = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(r) = lower.strip_prefix("range: bytes=") {
                        range = r.trim().trim_end_matches('-').parse().ok();
                    }
                }
                let out = behaviour(i, range, &body);
                let _ = stream.write_all(&out);
            }
        });
        (url, count)
    }

    fn full(body: &[u8], cut: Option<usize>) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body[..cut.unwrap_or(body.len())]);
        out
    }

    fn partial(body: &[u8], start: u64, cut: Option<usize>) -> Vec<u8> {
        let rest = &body[start as usize..];
        let mut out = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
            rest.len(),
            start,
            body.len() - 1,
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&rest[..cut.unwrap_or(rest.len())]);
        out
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(FetchConfig {
            offline: false,
            attempts: 4,
            retry_base: Duration::from_millis(1),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
        })
    }

    fn fetch(url: &str, size: Option<u64>) -> (Result<u64, FetchError>, Vec<u8>) {
        let mut got = Vec::new();
        let r = fetcher().download(url, size, &Silent, &mut |b: &[u8]| {
            got.extend_from_slice(b);
            Ok(())
        });
        (r, got)
    }

    #[test]
    fn resumes_with_range_after_truncation() {
        let body = payload(100_000);
        let (url, count) = serve(
            body.clone(),
            Arc::new(|i, range, body: &[u8]| match (i, range) {
                (0, None) => full(body, Some(30_000)),
                (_, Some(start)) => partial(body, start, None),
                _ => b"HTTP/1.1 500 Bad\r\nContent-Length: 0\r\n\r\n".to_vec(),
            }),
        );
        let (r, got) = fetch(&url, None);
        assert_eq!(r.unwrap(), body.len() as u64);
        assert_eq!(got, body);
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn restarts_when_range_is_ignored() {
        let body = payload(50_000);
        let (url, _) = serve(
            body.clone(),
            Arc::new(|i, _range, body: &[u8]| {
                if i == 0 {
                    full(body, Some(20_000))
                } else {
                    full(body, None)
                }
            }),
        );
        let (r, got) = fetch(&url, Some(50_000));
        assert_eq!(r.unwrap(), 50_000);
        assert_eq!(
            got, body,
            "bytes already delivered are skipped, not repeated"
        );
    }

    #[test]
    fn retries_5xx_then_gives_up_naming_the_url() {
        let (url, count) = serve(
            payload(10),
            Arc::new(|_, _, _: &[u8]| {
                b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }),
        );
        let (r, got) = fetch(&url, None);
        let e = r.unwrap_err();
        assert!(
            matches!(e, FetchError::Unreachable { attempts: 4, .. }),
            "{e}"
        );
        assert!(e.to_string().contains(&url));
        assert!(got.is_empty());
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn html_page_is_never_an_archive() {
        let (url, count) = serve(
            payload(10),
            Arc::new(|_, _, _: &[u8]| {
                let page = b"<!DOCTYPE html><html>not here</html>";
                let mut out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                )
                .into_bytes();
                out.extend_from_slice(page);
                out
            }),
        );
        let (r, got) = fetch(&url, None);
        let e = r.unwrap_err();
        assert!(matches!(e, FetchError::NotAnArchive { .. }), "{e}");
        assert!(e.to_string().contains("HTML"), "{e}");
        assert!(got.is_empty());
        assert_eq!(count.load(Ordering::SeqCst), 1, "not retried");
    }

    #[test]
    fn not_found_is_not_retried() {
        let (url, count) = serve(
            payload(10),
            Arc::new(|_, _, _: &[u8]| {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }),
        );
        let (r, _) = fetch(&url, None);
        assert!(matches!(
            r.unwrap_err(),
            FetchError::NotFound { status: 404, .. }
        ));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn wrong_size_is_refused() {
        let body = payload(1000);
        let (url, _) = serve(body, Arc::new(|_, _, body: &[u8]| full(body, None)));
        let (r, _) = fetch(&url, Some(999));
        assert!(matches!(
            r.unwrap_err(),
            FetchError::SizeMismatch {
                expected: 999,
                got: 1000,
                ..
            }
        ));
    }

    #[test]
    fn offline_never_connects() {
        let f = Fetcher::new(FetchConfig {
            offline: true,
            ..FetchConfig::from_env(true)
        });
        let r = f.download("http://127.0.0.1:9/x", None, &Silent, &mut |_| Ok(()));
        assert!(matches!(r.unwrap_err(), FetchError::Offline { .. }));
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}

//! A real HTTP/1.1 file server on 127.0.0.1 for fault injection: it serves a directory,
//! logs every request, and per path can fail with 5xx, truncate bodies, go slowly,
//! ignore Range, answer with an HTML error page, or drop validators. Every response
//! closes its connection, so a truncated body is seen by the client as a short read.
//! Dropping the server stops it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What goes wrong when a path is requested. Counters (`fail_times`, `truncate_times`)
/// count down per response, so "fail twice then succeed" is `fail_5xx(503, 2)`.
#[derive(Debug, Clone, Default)]
pub struct Fault {
    fail_status: u16,
    fail_times: u32,
    truncate_at: Option<u64>,
    truncate_times: u32,
    slow: Option<(usize, Duration)>,
    no_range: bool,
    html: Option<u16>,
    no_validators: bool,
    no_etag: bool,
    status: Option<u16>,
    drop_times: u32,
    headers: Vec<(String, String)>,
    listing: bool,
    reply: Option<(u16, String, String)>,
    redirect: Option<(u16, String)>,
    range_total: Option<u64>,
    swap: Option<(u32, PathBuf)>,
}

impl Fault {
    pub fn new() -> Fault {
        Fault::default()
    }
    /// Answer `status` (a 5xx) `times` times, then serve normally.
    pub fn fail_5xx(mut self, status: u16, times: u32) -> Fault {
        self.fail_status = status;
        self.fail_times = times;
        self
    }
    /// Send the full `Content-Length` but close after `at` body bytes, `times` times
    /// (`u32::MAX`: always).
    pub fn truncate(mut self, at: u64, times: u32) -> Fault {
        self.truncate_at = Some(at);
        self.truncate_times = times;
        self
    }
    /// Write the body `chunk` bytes at a time with `delay` between chunks.
    pub fn slow(mut self, chunk: usize, delay: Duration) -> Fault {
        self.slow = Some((chunk.max(1), delay));
        self
    }
    /// Ignore `Range` headers: always answer 200 with the whole body.
    pub fn no_range(mut self) -> Fault {
        self.no_range = true;
        self
    }
    /// Answer with an HTML error page and this status (e.g. 200 or 404) instead of the file.
    pub fn html_page(mut self, status: u16) -> Fault {
        self.html = Some(status);
        self
    }
    /// Send neither `ETag` nor `Last-Modified`, and ignore conditional headers.
    pub fn no_validators(mut self) -> Fault {
        self.no_validators = true;
        self
    }
    /// Send `Last-Modified` but no `ETag`.
    pub fn no_etag(mut self) -> Fault {
        self.no_etag = true;
        self
    }
    /// Close the connection without answering, `times` times (a connection error).
    pub fn drop_connection(mut self, times: u32) -> Fault {
        self.drop_times = times;
        self
    }
    /// Answer this status with an empty body, always (e.g. 403, 404, 500).
    pub fn status(mut self, status: u16) -> Fault {
        self.status = Some(status);
        self
    }
    /// Add this header to every response for the path (failures included), e.g.
    /// `Content-Encoding: gzip` as S3 and Apache send it, or `Retry-After`.
    pub fn header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    /// Answer 200 with an HTML listing of the served directory, as python's
    /// http.server and nginx's autoindex do for `/` (whatever the query).
    pub fn listing(mut self) -> Fault {
        self.listing = true;
        self
    }
    /// Answer `status` with this Content-Type and body instead of the file.
    pub fn reply(mut self, status: u16, content_type: &str, body: &str) -> Fault {
        self.reply = Some((status, content_type.to_string(), body.to_string()));
        self
    }
    /// Redirect (`status`, e.g. 302) to `location`, always.
    pub fn redirect(mut self, status: u16, location: &str) -> Fault {
        self.redirect = Some((status, location.to_string()));
        self
    }
    /// Claim this total size in `Content-Range` on 206 answers.
    pub fn range_total(mut self, total: u64) -> Fault {
        self.range_total = Some(total);
        self
    }
    /// After `after` answers (GET), serve the file at `other` instead: the file changed
    /// on the server, with new validators.
    pub fn swap_after(mut self, after: u32, other: &Path) -> Fault {
        self.swap = Some((after, other.to_path_buf()));
        self
    }
}

/// One request as the server saw it, plus what it answered.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string, e.g. `/index.json`.
    pub path: String,
    pub query: Option<String>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    root: PathBuf,
    faults: Mutex<HashMap<String, Fault>>,
    aliases: Mutex<HashMap<String, String>>,
    log: Mutex<Vec<Request>>,
    stop: AtomicBool,
    /// Connections accepted (a TLS handshake the client aborts logs no request).
    connections: AtomicUsize,
    tls: Option<Arc<rustls::ServerConfig>>,
}

pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `root` on a fresh loopback port.
    pub fn start(root: &Path) -> Server {
        Server::spawn(root, None)
    }

    /// Serves `root` over https with `tls`'s certificate (for 127.0.0.1 and localhost).
    pub fn start_tls(root: &Path, tls: &Tls) -> Server {
        Server::spawn(root, Some(Arc::clone(&tls.config)))
    }

    fn spawn(root: &Path, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            root: root.to_path_buf(),
            faults: Mutex::new(HashMap::new()),
            aliases: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            tls,
        });
        let st = Arc::clone(&state);
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                st.connections.fetch_add(1, Ordering::SeqCst);
                let st = Arc::clone(&st);
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = conn.set_write_timeout(Some(Duration::from_secs(10)));
                    let conn = match &st.tls {
                        None => Conn::Plain(conn),
                        Some(cfg) => match rustls::ServerConnection::new(Arc::clone(cfg)) {
                            Ok(tls) => Conn::Tls(Box::new(rustls::StreamOwned::new(tls, conn))),
                            Err(_) => return,
                        },
                    };
                    let _ = handle(&st, conn);
                });
            }
        });
        Server {
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>` (`https://…` for a TLS server; no trailing slash).
    pub fn url(&self) -> String {
        let scheme = if self.state.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Installs (replaces) the fault for `path` (e.g. `/index.json`).
    pub fn set_fault(&self, path: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .insert(path.to_string(), fault);
    }

    /// Serves the file `file` (relative to the root) at `path` too, e.g. `/` for
    /// go.dev's `/?mode=json&include=all` (the query is ignored).
    pub fn alias(&self, path: &str, file: &str) {
        self.state
            .aliases
            .lock()
            .unwrap()
            .insert(path.to_string(), file.to_string());
    }

    pub fn clear_fault(&self, path: &str) {
        self.state.faults.lock().unwrap().remove(path);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// Requests for `path` (any method).
    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// GET requests for `path`.
    pub fn gets(&self, path: &str) -> usize {
        self.requests_for(path)
            .iter()
            .filter(|r| r.method == "GET")
            .count()
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// A readable dump of the log for assertion messages.
    pub fn log_text(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {}{} -> {} range={:?} inm={:?} ims={:?}",
                    r.method,
                    r.path,
                    r.query
                        .as_deref()
                        .map(|q| format!("?{q}"))
                        .unwrap_or_default(),
                    r.status,
                    r.header("range"),
                    r.header("if-none-match"),
                    r.header("if-modified-since"),
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops accepting and ends slow responses in flight.
    pub fn stop(&mut self) {
        if let Some(h) = self.accept.take() {
            self.state.stop.store(true, Ordering::SeqCst);
            // Wake the blocking accept.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A plain or TLS connection.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

impl Conn {
    /// Flushes and closes: a client reading past the body sees the end.
    fn close(mut self) {
        let _ = self.flush();
        let sock = match self {
            Conn::Plain(s) => s,
            Conn::Tls(mut s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
                s.sock
            }
        };
        let _ = sock.shutdown(Shutdown::Both);
    }
}

fn handle(st: &State, mut conn: Conn) -> std::io::Result<()> {
    // A GET has no body: nothing the reader buffers past the head is lost.
    let mut reader = BufReader::new(&mut conn);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 || st.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.clone(), None),
    };
    let mut req = Request {
        method,
        path,
        query,
        headers,
        status: 0,
        at: std::time::Instant::now(),
    };

    // Take this response's fault and count it down.
    let fault = {
        let mut faults = st.faults.lock().unwrap();
        match faults.get_mut(&req.path) {
            Some(f) => {
                let snapshot = f.clone();
                if req.method == "HEAD" {
                    // HEAD probes do not use up injected failures.
                } else if f.drop_times > 0 {
                    f.drop_times -= 1;
                } else if f.fail_times > 0 {
                    f.fail_times -= 1;
                } else if f.truncate_times > 0 && f.truncate_times != u32::MAX {
                    f.truncate_times -= 1;
                }
                if req.method != "HEAD" {
                    if let Some((n, _)) = f.swap.as_mut() {
                        *n = n.saturating_sub(1);
                    }
                }
                snapshot
            }
            None => Fault::default(),
        }
    };
    // Log on arrival (tests wait for "the archive is being fetched"); the status is
    // filled in once the response is written.
    let slot = {
        let mut log = st.log.lock().unwrap();
        log.push(req.clone());
        log.len() - 1
    };
    let result = respond(st, slot, &mut req, &fault, &mut conn);
    conn.close();
    result
}

fn respond(
    st: &State,
    slot: usize,
    req: &mut Request,
    fault: &Fault,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head_only = req.method == "HEAD";
    if fault.drop_times > 0 {
        // The client sees the connection end before any status line.
        return Ok(());
    }
    let head = |st: &State, slot, out: &mut dyn Write, status, headers: &[(&str, String)]| {
        let mut all: Vec<(&str, String)> = headers.to_vec();
        all.extend(fault.headers.iter().map(|(k, v)| (k.as_str(), v.clone())));
        head(st, slot, out, status, &all)
    };
    if let Some((status, location)) = &fault.redirect {
        req.status = *status;
        return head(
            st,
            slot,
            out,
            *status,
            &[
                ("Location", location.clone()),
                ("Content-Length", "0".into()),
            ],
        );
    }
    let canned = match (&fault.reply, fault.listing) {
        (Some((status, ctype, body)), _) => Some((*status, ctype.clone(), body.clone())),
        (None, true) => Some((
            200,
            "text/html; charset=utf-8".to_string(),
            listing(&st.root),
        )),
        (None, false) => None,
    };
    if let Some((status, ctype, body)) = canned {
        req.status = status;
        head(
            st,
            slot,
            out,
            status,
            &[
                ("Content-Type", ctype),
                ("Content-Length", body.len().to_string()),
            ],
        )?;
        return if head_only {
            Ok(())
        } else {
            out.write_all(body.as_bytes())
        };
    }
    if let Some(status) = fault.status {
        req.status = status;
        return head(st, slot, out, status, &[("Content-Length", "0".into())]);
    }
    if fault.fail_times > 0 {
        req.status = fault.fail_status;
        let body = format!("{} injected failure\n", fault.fail_status);
        head(
            st,
            slot,
            out,
            fault.fail_status,
            &[("Content-Length", body.len().to_string())],
        )?;
        return out.write_all(body.as_bytes());
    }
    if let Some(status) = fault.html {
        req.status = status;
        let body = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n\
                    <body><h1>Not Found</h1><p>The requested file was not found.</p></body></html>\n";
        head(
            st,
            slot,
            out,
            status,
            &[
                ("Content-Type", "text/html; charset=utf-8".into()),
                ("Content-Length", body.len().to_string()),
            ],
        )?;
        return if head_only {
            Ok(())
        } else {
            out.write_all(body.as_bytes())
        };
    }

    let alias = st.aliases.lock().unwrap().get(&req.path).cloned();
    let target = match alias {
        Some(file) => format!("/{file}"),
        None => req.path.clone(),
    };
    let swapped = fault
        .swap
        .as_ref()
        .filter(|(left, _)| *left == 0)
        .map(|(_, p)| p.clone());
    let Some(file) = swapped.or_else(|| resolve(&st.root, &target)) else {
        req.status = 404;
        return head(st, slot, out, 404, &[("Content-Length", "0".into())]);
    };
    let body = std::fs::read(&file)?;
    let mtime = std::fs::metadata(&file)?.modified()?;
    let etag = format!("\"{:x}-{:x}\"", body.len(), fnv1a(&body));
    let last_modified = http_date(mtime);

    let mut validators: Vec<(&str, String)> = Vec::new();
    if !fault.no_validators {
        if !fault.no_etag {
            validators.push(("ETag", etag.clone()));
        }
        validators.push(("Last-Modified", last_modified.clone()));
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        // (If-Range is handled with Range below.)
        let not_modified = match (req.header("if-none-match"), req.header("if-modified-since")) {
            (Some(inm), _) if !fault.no_etag => {
                inm.split(',').any(|t| t.trim() == etag || t.trim() == "*")
            }
            (_, Some(ims)) => ims == last_modified,
            _ => false,
        };
        if not_modified {
            req.status = 304;
            return head(st, slot, out, 304, &validators);
        }
    }

    let len = body.len() as u64;
    let mut start = 0u64;
    let mut status = 200;
    let mut extra: Vec<(&str, String)> = validators;
    if !fault.no_range {
        extra.push(("Accept-Ranges", "bytes".into()));
        // If-Range: the range only if the file is still the one the client started on.
        let current = match req.header("if-range") {
            None => true,
            Some(v) => !fault.no_validators && (v == etag || v == last_modified),
        };
        if let Some(r) = req
            .header("range")
            .filter(|_| current)
            .and_then(parse_range_start)
        {
            if r < len {
                start = r;
                status = 206;
                let total = fault.range_total.unwrap_or(len);
                extra.push((
                    "Content-Range",
                    format!("bytes {start}-{}/{total}", len - 1),
                ));
            } else {
                req.status = 416;
                return head(
                    st,
                    slot,
                    out,
                    416,
                    &[
                        ("Content-Range", format!("bytes */{len}")),
                        ("Content-Length", "0".into()),
                    ],
                );
            }
        }
    }
    let ctype = if req.path.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    extra.push(("Content-Type", ctype.into()));
    extra.push(("Content-Length", (len - start).to_string()));
    req.status = status;
    head(st, slot, out, status, &extra)?;
    if head_only {
        return Ok(());
    }

    let mut rest = &body[start as usize..];
    if let Some(at) = fault.truncate_at.filter(|_| fault.truncate_times > 0) {
        // Truncation counts from the start of the file, so a resumed request past the cut
        // point is served whole.
        let keep = at.saturating_sub(start) as usize;
        if keep < rest.len() {
            rest = &rest[..keep];
        }
    }
    match fault.slow {
        Some((chunk, delay)) => {
            for piece in rest.chunks(chunk) {
                if st.stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                out.write_all(piece)?;
                out.flush()?;
                std::thread::sleep(delay);
            }
            Ok(())
        }
        None => out.write_all(rest),
    }
}

/// Records the status in the log before anything is sent, so a client that has seen
/// the response always finds it logged.
fn head(
    st: &State,
    slot: usize,
    out: &mut dyn Write,
    status: u16,
    headers: &[(&str, String)],
) -> std::io::Result<()> {
    if let Some(entry) = st.log.lock().unwrap().get_mut(slot) {
        entry.status = status;
    }
    write_head(out, status, headers)
}

fn write_head(out: &mut dyn Write, status: u16, headers: &[(&str, String)]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        429 => "Too Many Requests",
        206 => "Partial Content",
        304 => "Not Modified",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())
}

/// `/a/b` under `root`, refusing anything that is not a plain relative path.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    if rel.is_empty()
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return None;
    }
    let p = root.join(rel);
    p.is_file().then_some(p)
}

/// An HTML page listing `root`'s files, like python's http.server.
fn listing(root: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let items: String = names
        .iter()
        .map(|n| format!("<li><a href=\"{n}\">{n}</a></li>\n"))
        .collect();
    format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Directory listing for /</title>\n</head>\n<body>\n\
         <h1>Directory listing for /</h1>\n<hr>\n<ul>\n{items}</ul>\n<hr>\n</body>\n</html>\n"
    )
}

fn parse_range_start(v: &str) -> Option<u64> {
    let spec = v.strip_prefix("bytes=")?;
    let (a, _b) = spec.split_once('-')?;
    a.trim().parse().ok()
}

fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for `Last-Modified`.
pub fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86400) as i64;
    let (h, m, s) = ((secs % 86400) / 3600, (secs % 3600) / 60, secs % 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if mo <= 2 { 1 } else { 0 };
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}

/// Reads a whole HTTP response from the server with a raw socket (for the harness's own
/// self-checks).
pub fn raw_get(addr: SocketAddr, path: &str, extra_headers: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A throwaway certificate authority and a server certificate it signed for 127.0.0.1
/// and localhost, as a private CA or a TLS-inspecting proxy would present.
pub struct Tls {
    /// The CA certificate (PEM): what `SSL_CERT_FILE` must name for gvr to trust it.
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl Tls {
    pub fn generate() -> Tls {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "gvr test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), ca_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Tls {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        }
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns its path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }
}

/// A forward proxy on loopback, as `HTTP_PROXY` / `HTTPS_PROXY` name one: it tunnels
/// `CONNECT host:port` and forwards absolute-form `GET http://…` requests, logging the
/// first line of each.
pub struct Proxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let l = Arc::clone(&l);
                std::thread::spawn(move || {
                    let _ = proxy_one(conn, &l);
                });
            }
        });
        Proxy { addr, log }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first line of every request, e.g. `CONNECT 127.0.0.1:4431 HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn proxy_one(client: TcpStream, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut head = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        head.push(h);
    }
    let first = first.trim_end().to_string();
    log.lock().unwrap().push(first.clone());
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut client = client;
    let mut upstream;
    if method == "CONNECT" {
        upstream = TcpStream::connect(target)?;
        client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    } else {
        let rest = target.strip_prefix("http://").unwrap_or(target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        upstream = TcpStream::connect(authority)?;
        let path = if path.is_empty() { "/" } else { path };
        write!(upstream, "{method} {path} HTTP/1.1\r\n")?;
        for h in &head {
            upstream.write_all(h.as_bytes())?;
        }
        upstream.write_all(b"\r\n")?;
    }
    // Anything the reader buffered past the head belongs upstream (a TLS ClientHello).
    upstream.write_all(reader.buffer())?;
    let mut down = upstream.try_clone()?;
    let mut up_client = client.try_clone()?;
    let pump = std::thread::spawn(move || {
        let _ = std::io::copy(&mut down, &mut up_client);
        let _ = up_client.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
    let _ = pump.join();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served() -> (tempfile::TempDir, Server) {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("f.bin"), b"0123456789").unwrap();
        let s = Server::start(dir.path());
        (dir, s)
    }

    #[test]
    fn serves_files_with_ranges_validators_and_faults() {
        let (_d, s) = served();
        let r = raw_get(s.addr(), "/f.bin", "");
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.ends_with("\r\n\r\n0123456789"), "{r}");
        let etag = r
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_string();

        let r = raw_get(s.addr(), "/f.bin", "Range: bytes=4-\r\n");
        assert!(
            r.starts_with("HTTP/1.1 206")
                && r.contains("Content-Range: bytes 4-9/10")
                && r.ends_with("456789"),
            "{r}"
        );

        let r = raw_get(s.addr(), "/f.bin", &format!("If-None-Match: {etag}\r\n"));
        assert!(r.starts_with("HTTP/1.1 304"), "{r}");

        s.set_fault("/f.bin", Fault::new().fail_5xx(503, 2).truncate(3, 1));
        assert!(raw_get(s.addr(), "/f.bin", "").starts_with("HTTP/1.1 503"));
        assert!(raw_get(s.addr(), "/f.bin", "").starts_with("HTTP/1.1 503"));
        let r = raw_get(s.addr(), "/f.bin", "");
        assert!(
            r.contains("Content-Length: 10") && r.ends_with("\r\n\r\n012"),
            "{r}"
        );
        assert!(raw_get(s.addr(), "/f.bin", "").ends_with("0123456789"));

        s.set_fault("/f.bin", Fault::new().no_range());
        let r = raw_get(s.addr(), "/f.bin", "Range: bytes=4-\r\n");
        assert!(
            r.starts_with("HTTP/1.1 200") && r.ends_with("0123456789"),
            "{r}"
        );

        s.set_fault("/f.bin", Fault::new().html_page(200));
        assert!(raw_get(s.addr(), "/f.bin", "").contains("<html>"));

        assert!(raw_get(s.addr(), "/missing", "").starts_with("HTTP/1.1 404"));
        let range_seen: Vec<_> = s
            .requests_for("/f.bin")
            .iter()
            .filter_map(|r| r.header("range").map(String::from))
            .collect();
        assert_eq!(range_seen, vec!["bytes=4-", "bytes=4-"]);
        assert_eq!(s.gets("/f.bin"), 9);
    }

    #[test]
    fn http_date_is_imf_fixdate() {
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }
}

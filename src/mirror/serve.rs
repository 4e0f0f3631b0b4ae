//! `gvr mirror serve`: the kit over HTTP for a quick share. Read-only and static: GET
//! and HEAD of regular files only, single byte ranges, no directory listings, nothing
//! outside the kit (`..`, absolute paths and symbolic links that leave it are refused),
//! no hidden files (a sync's scratch files and lock).

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Serves `root` on `addr` until the process ends; `ready` gets the bound address
/// (port 0 picks a free one).
pub fn serve(root: &Path, addr: &str, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let root = root.canonicalize()?;
    let server = Server::http(addr)
        .map_err(|e| io::Error::other(format!("cannot listen on {addr}: {e}")))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| io::Error::other("not an IP listener"))?;
    ready(bound);
    let server = Arc::new(server);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            let root = root.clone();
            std::thread::spawn(move || {
                for req in server.incoming_requests() {
                    handle(&root, req);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn text(status: u16, body: &str) -> Response<io::Cursor<Vec<u8>>> {
    Response::from_string(body).with_status_code(StatusCode(status))
}

fn handle(root: &Path, req: Request) {
    let _ = match req.method() {
        Method::Get | Method::Head => respond(root, req),
        _ => {
            let allow = Header::from_bytes("Allow", "GET, HEAD").expect("valid header");
            req.respond(text(405, "read-only: GET and HEAD only\n").with_header(allow))
        }
    };
}

fn respond(root: &Path, req: Request) -> io::Result<()> {
    let Some(path) = resolve(root, req.url()) else {
        return req.respond(text(404, "not found\n"));
    };
    let Ok(mut file) = File::open(&path) else {
        return req.respond(text(404, "not found\n"));
    };
    let len = file.metadata()?.len();
    let range = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    let ctype = if path.extension().is_some_and(|e| e == "json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let mut headers = vec![
        Header::from_bytes("Content-Type", ctype).expect("valid header"),
        Header::from_bytes("Accept-Ranges", "bytes").expect("valid header"),
    ];
    let (status, start, count) = match range.map(|r| parse_range(&r, len)) {
        None => (200, 0, len),
        Some(Some((a, b))) => {
            headers.push(
                Header::from_bytes("Content-Range", format!("bytes {a}-{b}/{len}"))
                    .expect("valid header"),
            );
            (206, a, b - a + 1)
        }
        Some(None) => {
            let cr = Header::from_bytes("Content-Range", format!("bytes */{len}"))
                .expect("valid header");
            return req.respond(text(416, "range not satisfiable\n").with_header(cr));
        }
    };
    file.seek(SeekFrom::Start(start))?;
    let body = io::Read::take(file, count);
    let resp = Response::new(
        StatusCode(status),
        headers,
        body,
        Some(count as usize),
        None,
    );
    req.respond(resp)
}

/// The file a request path names, or `None` when it would leave the kit, names a
/// hidden entry, or is not a regular file.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let mut p = root.to_path_buf();
    for comp in decoded.split('/') {
        if comp.is_empty() {
            continue;
        }
        if comp.starts_with('.') || comp.contains('\\') || comp.contains('\0') {
            return None;
        }
        p.push(comp);
    }
    // Symbolic links may not lead out of the kit.
    let real = p.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One `bytes=` range as inclusive offsets; `None` when it cannot be satisfied. Several
/// ranges are not supported and are answered with the first.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    let first = spec.split(',').next()?.trim();
    let (a, b) = first.split_once('-')?;
    let (a, b) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 || len == 0 {
                return None;
            }
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().ok()?, len.checked_sub(1)?),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(len.checked_sub(1)?),
        ),
    };
    (a <= b && a < len).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn paths_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("kit/a")).unwrap();
        std::fs::write(root.join("kit/a/f"), b"x").unwrap();
        std::fs::write(root.join("kit/.gvr-sync.lock"), b"").unwrap();
        std::fs::write(root.join("secret"), b"s").unwrap();
        let kit = root.join("kit");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("secret"), kit.join("link")).unwrap();
        assert!(resolve(&kit, "/a/f").is_some());
        assert!(resolve(&kit, "/a/f?x=1").is_some());
        assert!(resolve(&kit, "/a/%66").is_some());
        assert!(resolve(&kit, "/../secret").is_none());
        assert!(resolve(&kit, "/a/%2e%2e/%2e%2e/secret").is_none());
        assert!(resolve(&kit, "/.gvr-sync.lock").is_none());
        assert!(resolve(&kit, "/a").is_none());
        assert!(resolve(&kit, "/link").is_none());
    }
}

use super::*;
use crate::report::Silent;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
        deadline: Some(Duration::from_secs(60)),
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

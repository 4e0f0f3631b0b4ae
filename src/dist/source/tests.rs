use super::*;

const SHA: &str = "736ce492a19d756a92719a6121226087ccd91b652ed5caec40ad6dbfb2252092";

#[test]
fn sidecar_formats() {
    assert_eq!(parse_sidecar(SHA).as_deref(), Some(SHA));
    assert_eq!(parse_sidecar(&format!("{SHA}\n")).as_deref(), Some(SHA));
    assert_eq!(
        parse_sidecar(&format!(
            "{}  go1.22.10.linux-amd64.tar.gz\n",
            SHA.to_uppercase()
        ))
        .as_deref(),
        Some(SHA)
    );
    assert_eq!(parse_sidecar(""), None);
    assert_eq!(parse_sidecar("<html>404</html>"), None);
    assert_eq!(parse_sidecar(&SHA[..63]), None);
}

#[test]
fn mirror_locations() {
    assert_eq!(
        parse_location("https://m.example/go/").unwrap(),
        Location::Http("https://m.example/go".into())
    );
    assert_eq!(
        parse_location("file:///srv/go%20dl").unwrap(),
        Location::Dir("/srv/go dl".into())
    );
    assert_eq!(
        parse_location("file://localhost/srv").unwrap(),
        Location::Dir("/srv".into())
    );
    assert_eq!(
        parse_location("/srv/mirror").unwrap(),
        Location::Dir("/srv/mirror".into())
    );
    assert!(parse_location("ftp://x/y").is_err());
    assert!(parse_location("file://relative").is_err());
}

#[test]
fn file_urls_decode_escapes_and_multi_byte_characters() {
    // `%` before a multi-byte character must not slice the text mid-character, and
    // escaped UTF-8 decodes to the characters it spells.
    assert_eq!(
        parse_location("file:///srv/caf%C3%A9%20%E2%82%AC/100%€").unwrap(),
        Location::Dir("/srv/café €/100%€".into())
    );
    assert_eq!(
        parse_location("file:///srv/%zz%4").unwrap(),
        Location::Dir("/srv/%zz%4".into())
    );
}

#[test]
fn archive_and_index_urls() {
    let s = Source::new(None, FetchConfig::from_env(true)).unwrap();
    assert_eq!(s.index_candidates(), [GO_DEV_INDEX]);
    assert_eq!(
        s.archive_location("go1.22.6.linux-amd64.tar.gz")
            .to_string(),
        "https://dl.google.com/go/go1.22.6.linux-amd64.tar.gz"
    );
    let m = Source::new(Some("http://127.0.0.1:1/dl/"), FetchConfig::from_env(true)).unwrap();
    assert_eq!(
        m.index_candidates(),
        [
            "http://127.0.0.1:1/dl/index.json",
            "http://127.0.0.1:1/dl/?mode=json&include=all"
        ]
    );
}

#[test]
fn directory_source_without_index_locates_by_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let home = GvrHome::at(dir.path().join("home"), dir.path().join("cache"));
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let s = Source::new(Some(mirror.to_str().unwrap()), FetchConfig::from_env(true)).unwrap();
    let v: GoVersion = "1.22.6".parse().unwrap();
    let name = s.platform().archive_filename(&v);
    std::fs::write(
        mirror.join(format!("{name}.sha256")),
        format!("{SHA}  {name}\n"),
    )
    .unwrap();
    let loc = s.locate(&home, &v, &crate::report::Silent).unwrap();
    assert_eq!(loc.sha256.as_deref(), Some(SHA));
    assert_eq!(loc.checksum.kind(), "sidecar");
    assert_eq!(loc.location, ArchiveLocation::Path(mirror.join(&name)));
    // Listing-style resolution needs an index, and says so.
    let e = s
        .resolve(&home, &"1.22".parse().unwrap(), &crate::report::Silent)
        .unwrap_err();
    assert!(matches!(e, SourceError::NoIndex { .. }), "{e}");
}

/// Serves `index.json` with an ETag on loopback and answers a matching
/// If-None-Match with 304. Returns the base URL and the statuses it sent.
fn etag_server(body: &'static str) -> (String, Arc<Mutex<Vec<u16>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let st = statuses.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut matched = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                matched |= line
                    .to_ascii_lowercase()
                    .starts_with("if-none-match: \"v1\"");
            }
            let resp = if matched {
                st.lock().unwrap().push(304);
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n".to_string()
            } else {
                st.lock().unwrap().push(200);
                format!(
                    "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = conn.write_all(resp.as_bytes());
        }
    });
    (base, statuses)
}

#[test]
fn index_is_cached_then_revalidated_with_etag() {
    let (base, statuses) = etag_server(r#"[{"version": "go1.22.6", "stable": true, "files": []}]"#);
    let dir = tempfile::tempdir().unwrap();
    let home = GvrHome::at(dir.path().join("home"), dir.path().join("cache"));
    let cfg = FetchConfig::from_env(false);
    let quiet = &crate::report::Silent;
    let fresh = || Source::new(Some(&base), cfg.clone()).unwrap();

    let loaded = fresh().index(&home, quiet).unwrap().unwrap();
    assert_eq!(loaded.url, format!("{base}/index.json"));
    assert_eq!(loaded.index.versions().count(), 1);
    // Fresh cache: no request at all.
    fresh().index(&home, quiet).unwrap().unwrap();
    assert_eq!(*statuses.lock().unwrap(), [200]);
    // Stale cache: a conditional request, answered 304, and the cached copy is used.
    let again = fresh()
        .with_index_ttl(Duration::ZERO)
        .index(&home, quiet)
        .unwrap()
        .unwrap();
    assert_eq!(again.index.versions().count(), 1);
    assert_eq!(*statuses.lock().unwrap(), [200, 304]);
    // Offline: the cache, whatever its age.
    let offline = Source::new(Some(&base), FetchConfig::from_env(true))
        .unwrap()
        .with_index_ttl(Duration::ZERO);
    assert_eq!(
        offline
            .index(&home, quiet)
            .unwrap()
            .unwrap()
            .index
            .versions()
            .count(),
        1
    );
    assert_eq!(statuses.lock().unwrap().len(), 2);
}

#[test]
fn offline_without_cache_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let home = GvrHome::at(dir.path().join("home"), dir.path().join("cache"));
    let s = Source::new(Some("http://127.0.0.1:1"), FetchConfig::from_env(true)).unwrap();
    let e = s.index(&home, &crate::report::Silent).unwrap_err();
    assert!(e.to_string().contains("gvr list-remote"), "{e}");
}

//! Network faults: truncation, 5xx, retries, resume with Range, HTML pages.

use super::*;

#[test]
fn server_errors_are_retried() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    s.set_fault("/index.json", Fault::new().fail_5xx(500, 1));
    s.set_fault(&m.archive_path("1.22.6"), Fault::new().fail_5xx(503, 2));
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets("/index.json"), 2, "{}", s.log_text());
    assert_eq!(s.gets(&m.archive_path("1.22.6")), 3, "{}", s.log_text());
}

#[test]
fn dropped_connections_are_retried() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().drop_connection(2));
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets(&path), 3, "{}", s.log_text());
}

#[test]
fn persistent_server_errors_fail_with_the_url_after_bounded_retries() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().fail_5xx(503, u32::MAX));
    let started = Instant::now();
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&format!("{}{path}", s.url()))
        .stderr_has("503");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "retries must be bounded"
    );
    let n = s.gets(&path);
    assert!(
        (2..=10).contains(&n),
        "expected a few retries, got {n}:\n{}",
        s.log_text()
    );
    assert_nothing_left(&g);
}

#[test]
fn truncated_body_is_resumed_with_range() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().truncate(20_000, 1));
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let reqs: Vec<_> = s
        .requests_for(&path)
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(reqs.len(), 2, "{}", s.log_text());
    assert_eq!(reqs[0].header("range"), None, "{}", s.log_text());
    assert_eq!(
        reqs[1].header("range"),
        Some("bytes=20000-"),
        "{}",
        s.log_text()
    );
    assert_eq!(reqs[1].status, 206);
    assert_eq!(g.receipt("1.22.6")["sha256"], m.archive("1.22.6").sha256());
}

#[test]
fn truncated_body_is_restarted_when_range_is_unsupported() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().truncate(20_000, 1).no_range());
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets(&path), 2, "{}", s.log_text());
    assert_eq!(g.receipt("1.22.6")["sha256"], m.archive("1.22.6").sha256());
    let cached = std::fs::read(g.downloads_dir().join(m.archive("1.22.6").sha256())).unwrap();
    assert_eq!(
        cached,
        m.archive("1.22.6").bytes,
        "restart must not append a second copy"
    );
}

#[test]
fn truncated_unverified_body_is_resumed_and_complete() {
    // No checksum to catch a short or doubled body: only size/length checks can.
    let m = padded_mirror(64 * 1024, Checksums::Neither);
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().truncate(30_000, 1).no_range());
    g.run(["install", "--allow-unverified", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(g.receipt("1.22.6")["sha256"], m.archive("1.22.6").sha256());
}

#[test]
fn always_short_body_is_never_taken_for_an_archive() {
    let m = padded_mirror(64 * 1024, Checksums::Neither);
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().truncate(10_000, u32::MAX).no_range());
    g.run(["install", "--allow-unverified", "1.22.6"])
        .fails()
        .stderr_has(&path[1..]);
    assert_nothing_left(&g);
    assert!(
        s.gets(&path) <= 10,
        "retries must be bounded:\n{}",
        s.log_text()
    );
}

#[test]
fn html_404_page_is_an_error_naming_the_url() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().html_page(404));
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&format!("{}{path}", s.url()))
        .stderr_has("404");
    assert_nothing_left(&g);
}

#[test]
fn html_page_with_status_200_is_never_taken_for_an_archive() {
    for checksums in [Checksums::Both, Checksums::Neither] {
        let m = MirrorBuilder::new()
            .dist(Dist::sdk("1.22.6").checksums(checksums))
            .build();
        let s = serve(&m);
        let g = world(&s);
        let path = m.archive_path("1.22.6");
        s.set_fault(&path, Fault::new().html_page(200));
        let r = g
            .run(["install", "--allow-unverified", "1.22.6"])
            .fails()
            .stderr_has(&path[1..]);
        assert!(!r.stderr.contains("installed go1.22.6"), "{r:?}");
        assert_nothing_left(&g);
    }
}

#[test]
fn html_page_is_recognised_even_with_nothing_to_check_it_against() {
    // No index (so no size) and no sidecar: only looking at the bytes can tell.
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").checksums(Checksums::Neither))
        .no_index()
        .build();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(&path, Fault::new().html_page(200));
    let r = g.run(["install", "--allow-unverified", "1.22.6"]).fails();
    assert!(
        r.stderr.contains("HTML"),
        "the error should say it got an HTML page:\n{r:?}"
    );
    assert_nothing_left(&g);
}

#[test]
fn html_page_as_sidecar_is_not_a_checksum() {
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").checksums(Checksums::SidecarOnly))
        .no_index()
        .build();
    let s = serve(&m);
    let g = world(&s);
    s.set_fault(
        &format!("{}.sha256", m.archive_path("1.22.6")),
        Fault::new().html_page(200),
    );
    g.run(["install", "1.22.6"]).fails();
    assert_nothing_left(&g);
}

#[test]
fn unreachable_mirror_names_the_url() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut g = Gvr::new();
    g.mirror(format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&format!("127.0.0.1:{port}"));
    g.run(["list-remote"])
        .fails()
        .stderr_has(&format!("127.0.0.1:{port}"));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "retries must be bounded"
    );
    assert_nothing_left(&g);
}

#[test]
fn mirror_url_with_trailing_slash_works() {
    let m = std_mirror();
    let s = serve(&m);
    let mut g = Gvr::new();
    g.mirror(format!("{}/", s.url()));
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert!(
        s.requests().iter().all(|r| !r.path.contains("//")),
        "{}",
        s.log_text()
    );
}

#[test]
fn http_mirror_under_a_sub_path() {
    let m = std_mirror();
    let parent = tempfile::TempDir::new().unwrap();
    std::os::unix::fs::symlink(m.path(), parent.path().join("dl")).unwrap();
    let s = Server::start(parent.path());
    let mut g = Gvr::new();
    g.mirror(format!("{}/dl", s.url()));
    g.run(["install", "1.22"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_eq!(s.gets("/dl/index.json"), 1, "{}", s.log_text());
    let d = m.archive("1.22.10");
    assert_eq!(
        g.receipt("1.22.10")["url"],
        format!("{}/dl/{}", s.url(), d.filename)
    );
}

#[test]
fn go_dev_style_index_endpoint_serves_a_mirror_without_index_json() {
    let mut m = std_mirror();
    let index = m.index_json();
    m.remove_index();
    std::fs::write(m.path().join("dl-index"), index).unwrap();
    let s = serve(&m);
    s.alias("/", "dl-index");
    let g = world(&s);
    g.run(["install", "1.22"])
        .ok()
        .stderr_has("installed go1.22.10");
    let hits = s
        .requests_for("/")
        .into_iter()
        .filter(|r| r.query.as_deref() == Some("mode=json&include=all"))
        .count();
    assert_eq!(hits, 1, "{}", s.log_text());
}

#[test]
fn odd_real_world_index_entries_are_tolerated() {
    // From go.dev's real data: an off-grammar version, a release with only a source
    // tarball, an old release whose files have no SHA-256, a release with no files.
    let m = MirrorBuilder::new()
        .sdk("1.22.6")
        .dist(
            Dist::raw("1.9.2rc2", b"src".to_vec())
                .kind("source")
                .os_arch("", "")
                .filename("go1.9.2rc2.src.tar.gz"),
        )
        .dist(Dist::sdk("1.4.2").checksums(Checksums::Neither))
        .bare_version("1.5beta1")
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["list-remote", "--all"]).ok();
    let listed = listed_versions(&r.stdout);
    assert!(
        listed.contains(&"1.22.6".to_string()) && listed.contains(&"1.4.2".to_string()),
        "{r:?}"
    );
    g.run(["install", "1.22.6"]).ok();
    g.run(["install", "1.4.2"])
        .fails()
        .stderr_has("--allow-unverified");
    g.run(["install", "1.9.2rc2"]).code(2); // off-grammar (gover rejects it): a usage error
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.6"]);
}

#[test]
fn default_source_is_go_dev() {
    let g = Gvr::new();
    g.run(["--offline", "list-remote"])
        .fails()
        .stderr_has("go.dev")
        .stderr_has("offline");
}

#[test]
fn missing_file_mirror_names_the_path() {
    let g = Gvr::new();
    let missing = g.root().join("no-such-mirror");
    g.run(["--mirror", missing.to_str().unwrap(), "install", "1.22.6"])
        .fails()
        .stderr_has("no-such-mirror");
}

#[test]
fn content_encoding_gzip_on_an_archive_is_not_decoded() {
    // S3 and Apache label a .tar.gz `Content-Encoding: gzip`; the bytes to hash and
    // unpack are still the archive's own.
    for checksums in [Checksums::Both, Checksums::Neither] {
        let m = MirrorBuilder::new()
            .dist(Dist::sdk("1.22.6").checksums(checksums))
            .build();
        let s = serve(&m);
        let g = world(&s);
        let path = m.archive_path("1.22.6");
        s.set_fault(
            &path,
            Fault::new()
                .header("Content-Encoding", "gzip")
                .header("Content-Type", "application/x-gzip"),
        );
        g.run(["install", "--allow-unverified", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
        let d = m.archive("1.22.6");
        assert_eq!(g.receipt("1.22.6")["sha256"], d.sha256());
        assert_eq!(
            std::fs::read(g.downloads_dir().join(d.sha256())).unwrap(),
            d.bytes,
            "the cached download is the archive as served"
        );
        for r in s.requests_for(&path) {
            let ae = r.header("accept-encoding").unwrap_or("identity");
            assert!(!ae.contains("gzip"), "asked for gzip: {}", s.log_text());
        }
    }
}

#[test]
fn content_encoding_gzip_survives_a_resume() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new()
            .header("Content-Encoding", "gzip")
            .truncate(20_000, 1),
    );
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets(&path), 2, "{}", s.log_text());
}

/// The `ETag` (or, with `header` = "Last-Modified", that) the server sends for `path`.
fn served_header(s: &Server, path: &str, header: &str) -> String {
    let r = crate::support::server::raw_get(s.addr(), path, "");
    r.lines()
        .find_map(|l| l.strip_prefix(&format!("{header}: ")))
        .unwrap_or_else(|| panic!("no {header} in:\n{r}"))
        .to_string()
}

#[test]
fn resume_sends_if_range_with_the_first_responses_validator() {
    for (fault, validator) in [
        (Fault::new(), "ETag"),
        (Fault::new().no_etag(), "Last-Modified"),
    ] {
        let m = padded_mirror(64 * 1024, Checksums::Both);
        let s = serve(&m);
        let g = world(&s);
        let path = m.archive_path("1.22.6");
        s.set_fault(&path, fault.clone());
        let expected = served_header(&s, &path, validator);
        s.set_fault(&path, fault.truncate(20_000, 1));
        s.clear_log();
        g.run(["install", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
        let reqs = s.requests_for(&path);
        assert_eq!(reqs.len(), 2, "{}", s.log_text());
        assert_eq!(reqs[0].header("if-range"), None);
        assert_eq!(reqs[1].header("range"), Some("bytes=20000-"));
        assert_eq!(
            reqs[1].header("if-range"),
            Some(expected.as_str()),
            "{validator}"
        );
        assert_eq!(reqs[1].status, 206);
    }
}

#[test]
fn a_file_that_changes_between_attempts_is_not_spliced() {
    // Unverified, so only If-Range can tell the halves apart.
    let m = padded_mirror(64 * 1024, Checksums::Neither);
    let other = MirrorBuilder::new()
        .dist(Dist::sdk_with(
            "1.22.6",
            Format::TarGz,
            &SdkOptions {
                padding: 80 * 1024,
                ..Default::default()
            },
        ))
        .build();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new()
            .truncate(20_000, 1)
            .swap_after(1, &other.file_path(&other.archive("1.22.6").filename)),
    );
    g.run(["install", "--allow-unverified", "1.22.6"])
        .fails()
        .stderr_has(&path[1..])
        .stderr_has("changed while it was being downloaded");
    assert_eq!(s.gets(&path), 2, "{}", s.log_text());
    assert_nothing_left(&g);
}

#[test]
fn a_206_whose_total_disagrees_is_an_error() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let len = m.archive("1.22.6").bytes.len() as u64;
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().truncate(20_000, 1).range_total(len + 100),
    );
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&format!("{} bytes but {len} were expected", len + 100));
    assert_eq!(s.gets(&path), 2, "not retried:\n{}", s.log_text());
    assert_nothing_left(&g);
}

#[test]
fn a_download_has_an_overall_deadline() {
    let m = padded_mirror(256 * 1024, Checksums::Both);
    let s = serve(&m);
    let mut g = world(&s);
    let path = m.archive_path("1.22.6");
    // About 3 s of steady trickle: never idle long enough for a read timeout.
    s.set_fault(
        &path,
        Fault::new().slow(8 * 1024, Duration::from_millis(100)),
    );
    g.env("GVR_DOWNLOAD_TIMEOUT", "1");
    let started = Instant::now();
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&path[1..])
        .stderr_has("GVR_DOWNLOAD_TIMEOUT");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        started.elapsed()
    );
    assert_nothing_left(&g);
    // Without the limit the same trickle completes.
    g.env("GVR_DOWNLOAD_TIMEOUT", "0");
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
}

#[test]
fn retry_after_is_honoured() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().fail_5xx(503, 1).header("Retry-After", "1"),
    );
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let reqs = s.requests_for(&path);
    assert_eq!(reqs.len(), 2, "{}", s.log_text());
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}, not the 1 s the server asked for"
    );
}

#[test]
fn a_retry_after_beyond_the_bound_is_reported_not_waited_out() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new()
            .fail_5xx(503, u32::MAX)
            .header("Retry-After", "3600"),
    );
    let started = Instant::now();
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("Retry-After")
        .stderr_has("3600");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(s.gets(&path), 1, "{}", s.log_text());
    assert_nothing_left(&g);
}

//! Installing from go.dev-style mirrors: HTTP, `file://` and plain directories; index and sidecars.

use super::*;

#[test]
fn installs_from_http_mirror_with_index() {
    let m = MirrorBuilder::new().sdks(&["1.22.6", "1.21.13"]).build();
    let s = serve(&m);
    let g = world(&s);
    let r = g
        .run(["install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert!(
        r.stderr.to_lowercase().contains("index"),
        "stderr should name the checksum source:\n{r:?}"
    );
    assert_installed(&g, "1.22.6");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.6"]);
    let sha = m.archive("1.22.6").sha256();
    assert_eq!(Gvr::ls(&g.downloads_dir()), std::slice::from_ref(&sha));
    assert_eq!(
        sha256_hex(&std::fs::read(g.downloads_dir().join(&sha)).unwrap()),
        sha
    );
    assert_tmp_clean(&g);
    assert_eq!(s.gets("/index.json"), 1, "{}", s.log_text());
    assert_eq!(s.gets(&m.archive_path("1.22.6")), 1, "{}", s.log_text());
    let checksum_source = g.receipt("1.22.6")["checksum_source"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(checksum_source.contains("index"), "{checksum_source}");
}

#[test]
fn installs_exact_version_with_sidecars_only() {
    let m = MirrorBuilder::new().sdk("1.22.6").no_index().build();
    let s = serve(&m);
    let g = world(&s);
    let r = g
        .run(["install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert!(
        r.stderr.to_lowercase().contains("sidecar"),
        "stderr should name the checksum source:\n{r:?}"
    );
    assert_installed(&g, "1.22.6");
    let rc = g.receipt("1.22.6");
    assert!(
        rc["checksum_source"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("sidecar"),
        "{rc}"
    );
    assert_eq!(rc["sha256"], m.archive("1.22.6").sha256());
    assert_eq!(
        s.gets(&format!("{}.sha256", m.archive_path("1.22.6"))),
        1,
        "{}",
        s.log_text()
    );
}

#[test]
fn listing_and_prefix_specs_need_an_index() {
    let m = MirrorBuilder::new().sdk("1.22.6").no_index().build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["list-remote"]).fails().stderr_has("index");
    g.run(["install", "1.22"]).fails().stderr_has("index");
    assert_nothing_left(&g);
}

#[test]
fn index_without_sha256_falls_back_to_sidecar() {
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").checksums(Checksums::SidecarOnly))
        .build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let src = g.receipt("1.22.6")["checksum_source"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(src.contains("sidecar"), "{src}");
}

#[test]
fn installs_from_file_url() {
    let m = std_mirror();
    let g = Gvr::new();
    g.run(["--mirror", &m.file_url(), "install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert_installed(&g, "1.22.6");
    let rc = g.receipt("1.22.6");
    let url = rc["url"].as_str().unwrap();
    assert!(
        url.starts_with("file://") && url.ends_with(&m.archive("1.22.6").filename),
        "{rc}"
    );
    assert!(Gvr::ls(&g.downloads_dir()).contains(&m.archive("1.22.6").sha256()));
}

#[test]
fn installs_from_plain_directory() {
    let m = std_mirror();
    let g = Gvr::new();
    g.run(["--mirror", m.path().to_str().unwrap(), "install", "1.21.13"])
        .ok()
        .stderr_has("installed go1.21.13");
    assert_installed(&g, "1.21.13");
    let rc = g.receipt("1.21.13");
    assert!(
        rc["url"]
            .as_str()
            .unwrap()
            .ends_with(&m.archive("1.21.13").filename),
        "{rc}"
    );
    // And the directory works for listing too.
    let r = g
        .run(["--mirror", m.path().to_str().unwrap(), "list-remote"])
        .ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.22.5", "1.21.13"]
    );
}

#[test]
fn plain_directory_with_sidecars_only() {
    let m = MirrorBuilder::new().sdk("1.22.6").no_index().build();
    let g = Gvr::new();
    g.run([
        "--mirror",
        m.path().to_str().unwrap(),
        "install",
        "go1.22.6",
    ])
    .ok();
    assert_installed(&g, "1.22.6");
}

/// A static server (python's http.server, nginx autoindex) answers the go.dev-style
/// index URL `/?mode=json&include=all` with an HTML listing of the directory.
#[test]
fn sidecar_mirror_on_a_static_server_with_a_directory_listing() {
    let m = MirrorBuilder::new()
        .sdks(&["1.22.6", "1.21.13"])
        .no_index()
        .build();
    let s = serve(&m);
    s.set_fault("/", Fault::new().listing());
    let g = world(&s);
    g.run(["install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert_installed(&g, "1.22.6");
    assert_eq!(g.receipt("1.22.6")["sha256"], m.archive("1.22.6").sha256());
    // Listing-style specs still need an index, and the error says what was there.
    g.run(["install", "1.21"])
        .fails()
        .stderr_has("index")
        .stderr_has("HTML");
    g.run(["list-remote"]).fails().stderr_has("index");
    assert!(
        s.requests_for("/")
            .iter()
            .any(|r| r.query.as_deref() == Some("mode=json&include=all")),
        "the listing URL was asked:\n{}",
        s.log_text()
    );
}

#[test]
fn html_or_unparsable_index_json_means_no_index() {
    for (ctype, body) in [
        (
            "text/html",
            "<!DOCTYPE html><html><body>Index of /</body></html>",
        ),
        ("application/json", "{\"truncated\": [1, 2"),
        ("text/plain", "not json at all"),
    ] {
        let m = MirrorBuilder::new().sdk("1.22.6").no_index().build();
        let s = serve(&m);
        s.set_fault("/index.json", Fault::new().reply(200, ctype, body));
        s.set_fault("/", Fault::new().listing());
        let g = world(&s);
        g.run(["install", "1.22.6"])
            .ok()
            .stderr_has("installed go1.22.6");
        assert_installed(&g, "1.22.6");
        g.run(["install", "1.22"]).fails().stderr_has("index.json");
    }
}

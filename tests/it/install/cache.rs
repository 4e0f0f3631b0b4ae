//! The index cache (TTL, revalidation), `--offline`, and the content-addressed download cache.

use super::*;

#[test]
fn index_is_cached_between_commands() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let a = g.run(["list-remote"]).ok();
    let b = g.run(["list-remote"]).ok();
    assert_eq!(a.stdout, b.stdout);
    g.run(["install", "1.22"]).ok();
    assert_eq!(s.gets("/index.json"), 1, "{}", s.log_text());
}

#[test]
fn index_is_revalidated_with_etag() {
    let m = std_mirror();
    let s = serve(&m);
    let mut g = world(&s);
    g.env("GVR_INDEX_TTL", "0");
    let a = g.run(["list-remote"]).ok();
    let b = g.run(["list-remote"]).ok();
    assert_eq!(a.stdout, b.stdout);
    let reqs = s.requests_for("/index.json");
    assert_eq!(reqs.len(), 2, "{}", s.log_text());
    assert!(
        reqs[1].header("if-none-match").is_some(),
        "no If-None-Match:\n{}",
        s.log_text()
    );
    assert_eq!(reqs[1].status, 304, "{}", s.log_text());
}

#[test]
fn index_is_revalidated_with_last_modified_when_there_is_no_etag() {
    let m = std_mirror();
    let s = serve(&m);
    s.set_fault("/index.json", Fault::new().no_etag());
    let mut g = world(&s);
    g.env("GVR_INDEX_TTL", "0");
    g.run(["list-remote"]).ok();
    g.run(["list-remote"]).ok();
    let reqs = s.requests_for("/index.json");
    assert_eq!(reqs.len(), 2, "{}", s.log_text());
    assert!(
        reqs[1].header("if-modified-since").is_some(),
        "no If-Modified-Since:\n{}",
        s.log_text()
    );
    assert_eq!(reqs[1].status, 304, "{}", s.log_text());
}

#[test]
fn changed_index_is_picked_up_on_revalidation() {
    let mut m = std_mirror();
    let s = serve(&m);
    let mut g = world(&s);
    g.env("GVR_INDEX_TTL", "0");
    let a = g.run(["list-remote"]).ok();
    assert!(!listed_versions(&a.stdout).contains(&"1.24.0".to_string()));
    m.add(Dist::sdk("1.24.0"));
    let b = g.run(["list-remote"]).ok();
    assert_eq!(
        listed_versions(&b.stdout).first().map(String::as_str),
        Some("1.24.0"),
        "{b:?}"
    );
}

#[test]
fn offline_uses_cached_index_and_downloads_only() {
    let m = std_mirror();
    let s = serve(&m);
    let mut g = world(&s);
    let online = g.run(["list-remote"]).ok();
    g.run(["install", "1.22.6"]).ok();
    g.run(["uninstall", "1.22.6"]).ok();
    s.clear_log();
    // Even with a zero TTL, offline must not revalidate.
    g.env("GVR_INDEX_TTL", "0");
    let offline = g.run(["--offline", "list-remote"]).ok();
    assert_eq!(offline.stdout, online.stdout);
    g.run(["--offline", "install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert_installed(&g, "1.22.6");
    g.run(["uninstall", "1.22.6"]).ok();
    g.env("GVR_OFFLINE", "1");
    g.run(["install", "1.22.6"]).ok();
    assert_eq!(
        s.requests().len(),
        0,
        "offline touched the network:\n{}",
        s.log_text()
    );
}

#[test]
fn offline_without_cache_says_so() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["--offline", "list-remote"])
        .fails()
        .stderr_has("offline");
    g.run(["--offline", "install", "1.22.6"])
        .fails()
        .stderr_has("offline");
    assert_nothing_left(&g);
    assert_eq!(
        s.requests().len(),
        0,
        "offline touched the network:\n{}",
        s.log_text()
    );
}

#[test]
fn offline_with_index_but_no_download_names_the_missing_archive() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["list-remote"]).ok();
    s.clear_log();
    g.run(["--offline", "install", "1.22.6"])
        .fails()
        .stderr_has("offline")
        .stderr_has("1.22.6");
    assert_eq!(s.requests().len(), 0, "{}", s.log_text());
}

#[test]
fn reinstall_with_server_stopped_uses_the_download_cache() {
    let m = std_mirror();
    let mut s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(!g.version_dir("1.22.6").exists());
    s.stop();
    g.run(["install", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert_installed(&g, "1.22.6");
    assert_eq!(Gvr::ls(&g.downloads_dir()), [m.archive("1.22.6").sha256()]);
}

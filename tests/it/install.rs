//! `gvr install`, `uninstall`, `list` and `list-remote` against fixture distributions
//! served over loopback HTTP (with injected faults), `file://` and plain directories.
//! Each guarantee of issue 2 is shown by a test that fails without it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::{finish, tree, Gvr, Run};
use crate::support::fixtures::{
    host_arch, host_os, sha256_hex, Checksums, Dist, Format, Mirror, MirrorBuilder, RawEntry,
    SdkOptions,
};
use crate::support::sdk;
use crate::support::server::{Fault, Server};

// ---------------------------------------------------------------------------------------
// helpers

/// A world whose `GVR_MIRROR` is this server.
fn world(server: &Server) -> Gvr {
    let mut g = Gvr::new();
    g.mirror(server.url());
    g
}

fn serve(m: &Mirror) -> Server {
    Server::start(m.path())
}

/// Runs the installed `bin/go version` with a clean env and returns its stdout.
fn installed_go_version(g: &Gvr, v: &str) -> String {
    let go = g.version_dir(v).join("bin/go");
    g.run_program(&go, ["version"])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// `versions/<v>` is a complete, runnable SDK with a receipt.
#[track_caller]
fn assert_installed(g: &Gvr, v: &str) {
    assert!(
        g.receipt_path(v).is_file(),
        "no receipt for {v}; versions/: {:?}",
        tree(&g.versions_dir())
    );
    let first = std::fs::read_to_string(g.version_dir(v).join("VERSION")).unwrap();
    assert_eq!(first.lines().next(), Some(format!("go{v}").as_str()));
    assert_eq!(
        installed_go_version(g, v),
        format!("go version go{v} {}/{}", host_os(), host_arch())
    );
}

/// Nothing of a failed install is left: no version, no staging, no cached download.
#[track_caller]
fn assert_nothing_left(g: &Gvr) {
    assert_eq!(
        Gvr::ls(&g.versions_dir()),
        Vec::<String>::new(),
        "versions/ not empty"
    );
    assert_eq!(
        Gvr::ls(&g.tmp_dir()),
        Vec::<String>::new(),
        "tmp/ not empty: {:?}",
        tree(&g.tmp_dir())
    );
    assert_eq!(
        Gvr::ls(&g.downloads_dir()),
        Vec::<String>::new(),
        "downloads/ not empty"
    );
}

#[track_caller]
fn assert_tmp_clean(g: &Gvr) {
    assert_eq!(
        Gvr::ls(&g.tmp_dir()),
        Vec::<String>::new(),
        "tmp/ not empty: {:?}",
        tree(&g.tmp_dir())
    );
}

/// `"go1.22.6"` or `"1.22.6"` → `"1.22.6"`.
fn bare(v: &str) -> &str {
    v.strip_prefix("go").unwrap_or(v)
}

/// The versions a listing names, in order: the first token of each line that looks
/// like a Go version (with or without `go`).
fn listed_versions(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            l.split(|c: char| c.is_whitespace() || c == '*' || c == '(' || c == ')' || c == ',')
                .map(bare)
                .find(|t| t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('.'))
                .map(String::from)
        })
        .collect()
}

fn std_mirror() -> Mirror {
    // Newest first, as go.dev lists them; an rc of the next minor on top.
    MirrorBuilder::new()
        .sdks(&["1.23rc1", "1.22.10", "1.22.6", "1.22.5", "1.21.13"])
        .build()
}

// ---------------------------------------------------------------------------------------
// sources

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

// ---------------------------------------------------------------------------------------
// specs

#[test]
fn minor_spec_installs_newest_stable_patch() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.10"]);
    assert_installed(&g, "1.22.10");
}

#[test]
fn latest_installs_newest_stable() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "latest"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.10"]);
}

#[test]
fn installs_prerelease_and_go_prefixed_and_several_specs() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.23rc1", "go1.21.13"])
        .ok()
        .stderr_has("installed go1.23rc1")
        .stderr_has("installed go1.21.13");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.21.13", "1.23rc1"]);
    assert_installed(&g, "1.23rc1");
    assert_installed(&g, "1.21.13");
}

#[test]
fn already_installed_says_so_and_force_reinstalls() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let first_receipt = g.receipt("1.22.6");
    let r = g
        .run(["install", "1.22.6"])
        .ok()
        .stderr_has("go1.22.6 is already installed");
    assert!(
        !r.stderr.contains("installed go1.22.6"),
        "must not claim a fresh install:\n{r:?}"
    );
    assert_eq!(s.gets(&m.archive_path("1.22.6")), 1);

    // --force really replaces the tree: a stray file disappears.
    std::fs::write(g.version_dir("1.22.6").join("STRAY"), "x").unwrap();
    g.run(["install", "--force", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert!(
        !g.version_dir("1.22.6").join("STRAY").exists(),
        "--force kept the old tree"
    );
    assert_installed(&g, "1.22.6");
    assert_eq!(g.receipt("1.22.6")["sha256"], first_receipt["sha256"]);
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.6"]);
    assert_tmp_clean(&g);
}

#[test]
fn failed_force_reinstall_keeps_the_existing_version() {
    let m = std_mirror();
    let mut s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let before = tree(&g.version_dir("1.22.6"));
    // No cached archive and no server: the reinstall cannot even start downloading.
    std::fs::remove_dir_all(g.downloads_dir()).unwrap();
    s.stop();
    g.run(["install", "--force", "1.22.6"]).fails();
    assert_installed(&g, "1.22.6");
    assert_eq!(tree(&g.version_dir("1.22.6")), before);

    // A corrupt download is caught before the old tree is touched.
    let bad = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").wrong_checksum())
        .build();
    g.run([
        "--mirror",
        bad.path().to_str().unwrap(),
        "install",
        "--force",
        "1.22.6",
    ])
    .fails();
    assert_installed(&g, "1.22.6");
    assert_eq!(tree(&g.version_dir("1.22.6")), before);
    assert_tmp_clean(&g);
}

#[test]
fn broken_index_is_an_error_naming_it() {
    let m = std_mirror();
    std::fs::write(m.path().join("index.json"), "<html>oops</html>").unwrap();
    let s = serve(&m);
    let g = world(&s);
    g.run(["list-remote"]).fails().stderr_has("index.json");
    g.run(["install", "1.22"]).fails().stderr_has("index.json");
    assert_nothing_left(&g);
}

#[test]
fn unknown_version_suggests_nearby_ones() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.7"])
        .fails()
        .stderr_has("1.22.7")
        .stderr_has("1.22.6");
    g.run(["install", "1.30"]).fails().stderr_has("1.30");
    assert_nothing_left(&g);
}

#[test]
fn no_archive_for_this_platform_is_a_clear_error() {
    let other_os = if host_os() == "linux" {
        "darwin"
    } else {
        "linux"
    };
    let m = MirrorBuilder::new()
        .dist(Dist::platform(
            "1.22.6",
            "windows",
            host_arch(),
            Format::Zip,
            &SdkOptions::default(),
        ))
        .dist(Dist::platform(
            "1.22.6",
            other_os,
            host_arch(),
            Format::TarGz,
            &SdkOptions::default(),
        ))
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["install", "1.22.6"]).fails();
    assert!(
        r.stderr.contains(&format!("{}/{}", host_os(), host_arch()))
            || r.stderr.contains(&format!("{}-{}", host_os(), host_arch())),
        "error should name this OS/arch:\n{r:?}"
    );
    assert_nothing_left(&g);
}

#[test]
fn archive_is_chosen_by_index_fields_not_file_names() {
    // Traps: an installer and a source tarball for "this" platform listed first, and
    // another platform's SDK under this platform's usual file name. The right archive
    // has an unusual name.
    let other_os = if host_os() == "linux" {
        "darwin"
    } else {
        "linux"
    };
    let usual = format!("go1.22.6.{}-{}.tar.gz", host_os(), host_arch());
    let m = MirrorBuilder::new()
        .dist(
            Dist::raw("1.22.6", b"not an archive".to_vec())
                .kind("installer")
                .filename("go1.22.6.installer.pkg"),
        )
        .dist(
            Dist::sdk("1.22.6")
                .kind("source")
                .os_arch("", "")
                .filename("go1.22.6.src.tar.gz"),
        )
        .dist(
            Dist::platform(
                "1.22.6",
                other_os,
                host_arch(),
                Format::TarGz,
                &SdkOptions::default(),
            )
            .filename(&usual),
        )
        .dist(Dist::sdk("1.22.6").filename("go1.22.6.custom-build.tar.gz"))
        .build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_eq!(
        s.gets("/go1.22.6.custom-build.tar.gz"),
        1,
        "{}",
        s.log_text()
    );
}

#[test]
fn bad_spec_and_bad_flag_are_usage_errors() {
    let g = Gvr::new();
    g.run(["install", "--no-such-flag", "1.22.6"]).code(2);
    g.run(["list-remote", "--no-such-flag"]).code(2);
}

// ---------------------------------------------------------------------------------------
// verification

#[test]
fn checksum_mismatch_from_index_names_url_and_digests_and_leaves_nothing() {
    let m = MirrorBuilder::new()
        .dist(
            Dist::sdk("1.22.6")
                .checksums(Checksums::IndexOnly)
                .wrong_checksum(),
        )
        .build();
    let s = serve(&m);
    let g = world(&s);
    let d = m.archive("1.22.6");
    let url = format!("{}/{}", s.url(), d.filename);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&url)
        .stderr_has(&d.published_sha256())
        .stderr_has(&d.sha256());
    assert_nothing_left(&g);
}

#[test]
fn checksum_mismatch_from_sidecar_leaves_nothing() {
    let m = MirrorBuilder::new()
        .dist(
            Dist::sdk("1.22.6")
                .checksums(Checksums::SidecarOnly)
                .wrong_checksum(),
        )
        .no_index()
        .build();
    let s = serve(&m);
    let g = world(&s);
    let d = m.archive("1.22.6");
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&d.filename)
        .stderr_has(&d.published_sha256())
        .stderr_has(&d.sha256());
    assert_nothing_left(&g);
}

#[test]
fn checksum_mismatch_from_file_mirror_leaves_nothing() {
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").wrong_checksum())
        .build();
    let g = Gvr::new();
    let d = m.archive("1.22.6");
    g.run(["--mirror", &m.file_url(), "install", "1.22.6"])
        .fails()
        .stderr_has(&d.published_sha256())
        .stderr_has(&d.sha256());
    assert_nothing_left(&g);
}

#[test]
fn unverifiable_archive_is_refused_unless_allowed() {
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").checksums(Checksums::Neither))
        .build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("--allow-unverified");
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());
    assert_tmp_clean(&g);

    let r = g
        .run(["install", "--allow-unverified", "1.22.6"])
        .ok()
        .stderr_has("installed go1.22.6");
    assert!(
        r.stderr.contains("UNVERIFIED"),
        "the install must be flagged loudly:\n{r:?}"
    );
    assert_installed(&g, "1.22.6");
    let rc = g.receipt("1.22.6");
    assert!(
        rc["checksum_source"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("unverified"),
        "{rc}"
    );
    assert_eq!(
        rc["sha256"],
        m.archive("1.22.6").sha256(),
        "the receipt still records what was installed"
    );
}

#[test]
fn receipt_records_how_it_was_installed() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let rc = g.receipt("1.22.6");
    let d = m.archive("1.22.6");
    assert_eq!(bare(rc["version"].as_str().unwrap()), "1.22.6", "{rc}");
    assert_eq!(rc["url"], format!("{}/{}", s.url(), d.filename), "{rc}");
    assert_eq!(rc["sha256"], d.sha256(), "{rc}");
    assert!(
        rc["checksum_source"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{rc}"
    );
    assert_eq!(rc["size"].as_u64(), Some(d.bytes.len() as u64), "{rc}");
    let at = rc["installed_at"].as_str().unwrap_or_default();
    assert!(
        at.starts_with("20") && at.len() >= 10,
        "installed_at should be a timestamp: {rc}"
    );
    assert_eq!(rc["gvr_version"], env!("CARGO_PKG_VERSION"), "{rc}");
}

#[test]
fn version_file_must_match_the_requested_version() {
    let liar = Dist::sdk_with(
        "1.22.6",
        Format::TarGz,
        &SdkOptions {
            version_line: Some("go1.22.5".into()),
            ..Default::default()
        },
    );
    let m = MirrorBuilder::new().dist(liar).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("go1.22.5")
        .stderr_has("VERSION");
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());
    assert_tmp_clean(&g);
}

#[test]
fn tampered_download_cache_is_never_installed() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    g.run(["uninstall", "1.22.6"]).ok();
    // Swap the cached archive for another SDK that looks right but carries a marker.
    let sha = m.archive("1.22.6").sha256();
    let evil = Dist::sdk_plus(
        "1.22.6",
        vec![RawEntry::file("go/TAMPERED", 0o644, b"x")],
        Format::TarGz,
    );
    std::fs::write(g.downloads_dir().join(&sha), &evil.bytes).unwrap();
    let r = g.run(["install", "1.22.6"]);
    assert!(
        !g.version_dir("1.22.6").join("TAMPERED").exists(),
        "installed a tampered cached archive:\n{r:?}"
    );
    if r.code == 0 {
        assert_installed(&g, "1.22.6");
    }
}

// ---------------------------------------------------------------------------------------
// network faults

/// A mirror whose 1.22.6 archive is big enough to cut in the middle.
fn padded_mirror(padding: usize, checksums: Checksums) -> Mirror {
    let d = Dist::sdk_with(
        "1.22.6",
        Format::TarGz,
        &SdkOptions {
            padding,
            ..Default::default()
        },
    )
    .checksums(checksums);
    MirrorBuilder::new().dist(d).sdk("1.21.13").build()
}

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

// ---------------------------------------------------------------------------------------
// index cache, offline, download cache

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

// ---------------------------------------------------------------------------------------
// unpacking

#[test]
fn zip_sdk_installs() {
    let m = MirrorBuilder::new().dist(Dist::sdk_zip("1.22.6")).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_mode(&g.version_dir("1.22.6").join("bin/gofmt"), 0o755);
    assert_mode(&g.version_dir("1.22.6").join("src/fmt/print.go"), 0o644);
}

#[track_caller]
fn assert_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let got = std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(got, mode, "{}: mode {got:o}, want {mode:o}", p.display());
}

#[test]
fn setuid_and_setgid_are_dropped_exec_bits_kept() {
    let opts = SdkOptions {
        go_extra_mode: 0o4000,
        gofmt_extra_mode: 0o2000,
        ..Default::default()
    };
    for format in [Format::TarGz, Format::Zip] {
        let m = MirrorBuilder::new()
            .dist(Dist::sdk_with("1.22.6", format, &opts))
            .build();
        let g = Gvr::new();
        g.run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
            .ok();
        let v = g.version_dir("1.22.6");
        assert_mode(&v.join("bin/go"), 0o755);
        assert_mode(&v.join("bin/gofmt"), 0o755);
        assert_mode(
            &v.join(format!("pkg/tool/{}_{}/compile", host_os(), host_arch())),
            0o755,
        );
        assert_mode(&v.join("VERSION"), 0o644);
        assert_installed(&g, "1.22.6");
    }
}

#[test]
fn links_inside_the_tree_are_kept() {
    let d = Dist::sdk_plus(
        "1.22.6",
        vec![
            RawEntry::dir("go/misc/"),
            RawEntry::symlink("go/misc/VERSION.link", "../VERSION"),
            RawEntry::symlink("go/bin/go-again", "go"),
        ],
        Format::TarGz,
    );
    let m = MirrorBuilder::new().dist(d).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let v = g.version_dir("1.22.6");
    assert_eq!(
        std::fs::read_link(v.join("misc/VERSION.link")).unwrap(),
        Path::new("../VERSION")
    );
    assert!(std::fs::read_to_string(v.join("misc/VERSION.link"))
        .unwrap()
        .starts_with("go1.22.6"));
    assert_eq!(
        std::fs::read_link(v.join("bin/go-again")).unwrap(),
        Path::new("go")
    );
}

#[test]
fn malicious_archives_are_refused() {
    // Absolute targets point into this test's own temp dir, never at the real system.
    let g0 = Gvr::new();
    let outside = g0.root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let abs = |name: &str| outside.join(name).to_str().unwrap().to_string();

    let cases: Vec<(&str, Format, Vec<RawEntry>)> = vec![
        (
            "dot-dot inside go/",
            Format::TarGz,
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
        ),
        (
            "dot-dot at top",
            Format::TarGz,
            vec![RawEntry::file("../evil", 0o644, b"x")],
        ),
        (
            "absolute path",
            Format::TarGz,
            vec![RawEntry::file(&abs("abs-evil"), 0o644, b"x")],
        ),
        (
            "entry outside go/",
            Format::TarGz,
            vec![RawEntry::file("other/evil", 0o644, b"x")],
        ),
        (
            "file beside go/",
            Format::TarGz,
            vec![RawEntry::file("evil", 0o644, b"x")],
        ),
        (
            "symlink to /etc/passwd",
            Format::TarGz,
            vec![RawEntry::symlink("go/passwd", "/etc/passwd")],
        ),
        (
            "symlink up and out",
            Format::TarGz,
            vec![RawEntry::symlink("go/up", "../../x")],
        ),
        (
            "symlink to the parent of the tree",
            Format::TarGz,
            vec![RawEntry::symlink("go/parent", "..")],
        ),
        (
            "write through an escaping symlink",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/esc", outside.to_str().unwrap()),
                RawEntry::file("go/esc/through", 0o644, b"x"),
            ],
        ),
        (
            "write through a dir symlink climbing out",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/bin/up", "../.."),
                RawEntry::file("go/bin/up/through", 0o644, b"x"),
            ],
        ),
        (
            // `go/a/b -> ..` looks like `go/` when judged by archive names, but on disk
            // `go/a` is `go/`, so `b` lands in `go/` and points above it.
            "symlink chain through an inside link",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/a", "."),
                RawEntry::symlink("go/a/b", ".."),
                RawEntry::file("go/a/b/through", 0o644, b"x"),
            ],
        ),
        (
            "hardlink to /etc/passwd",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", "/etc/passwd")],
        ),
        (
            "hardlink escaping with ..",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", "go/../../x")],
        ),
        (
            "hardlink outside go/",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", &abs("target"))],
        ),
        ("fifo", Format::TarGz, vec![RawEntry::fifo("go/fifo")]),
        (
            "char device",
            Format::TarGz,
            vec![RawEntry::char_device("go/null")],
        ),
        (
            "zip dot-dot",
            Format::Zip,
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
        ),
        (
            "zip absolute",
            Format::Zip,
            vec![RawEntry::file(&abs("zip-abs-evil"), 0o644, b"x")],
        ),
        (
            "zip entry outside go/",
            Format::Zip,
            vec![RawEntry::file("other/evil", 0o644, b"x")],
        ),
        (
            "zip symlink to /etc/passwd",
            Format::Zip,
            vec![RawEntry::symlink("go/passwd", "/etc/passwd")],
        ),
        (
            "zip symlink up and out",
            Format::Zip,
            vec![RawEntry::symlink("go/up", "../../x")],
        ),
    ];
    std::fs::write(outside.join("target"), "outside").unwrap();

    let mut failures = Vec::new();
    for (name, format, extra) in cases {
        let entry_names: Vec<String> = extra.iter().map(|e| e.name.clone()).collect();
        let m = MirrorBuilder::new()
            .dist(Dist::sdk_plus("1.22.6", extra, format))
            .build();
        let mut g = Gvr::new();
        g.mirror(m.path());
        let r = g.run(["install", "1.22.6"]);
        let mut problems = Vec::new();
        if r.code != 1 {
            problems.push(format!("exit {}", r.code));
        }
        if !entry_names.iter().any(|n| r.stderr.contains(n.as_str())) {
            problems.push("the error does not name the offending entry".to_string());
        }
        if !Gvr::ls(&g.versions_dir()).is_empty() {
            problems.push(format!("versions/: {:?}", tree(&g.versions_dir())));
        }
        if !Gvr::ls(&g.tmp_dir()).is_empty() {
            problems.push(format!("tmp/ left: {:?}", tree(&g.tmp_dir())));
        }
        let escaped: Vec<String> = tree(g.root())
            .into_iter()
            .chain(tree(&outside).into_iter().map(|p| format!("outside/{p}")))
            .filter(|p| {
                let f = p.rsplit('/').next().unwrap();
                ["evil", "abs-evil", "zip-abs-evil", "through", "x"].contains(&f)
            })
            .collect();
        if !escaped.is_empty() {
            problems.push(format!("wrote outside the tree: {escaped:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{r:?}", problems.join("; ")));
        }
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("target")).unwrap(),
        "outside"
    );
    assert!(
        failures.is_empty(),
        "{} malicious archive(s) not refused cleanly:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------
// concurrency and interruption

#[test]
fn eight_concurrent_installs_end_with_one_copy() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(8 * 1024, Duration::from_millis(10)),
    );
    let g = world(&s);
    g.run(["list-remote"]).ok(); // warm the index so all eight race on the archive
    let children: Vec<_> = (0..8).map(|_| g.spawn(["install", "1.22.6"])).collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
    }
    // One installs; the others re-check after taking the lock and find it installed.
    let fresh = runs
        .iter()
        .filter(|r| r.stderr.contains("installed go1.22.6"))
        .count();
    let already = runs
        .iter()
        .filter(|r| r.stderr.contains("go1.22.6 is already installed"))
        .count();
    assert_eq!((fresh, already), (1, 7), "{runs:?}");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.6"]);
    assert_installed(&g, "1.22.6");
    assert_tmp_clean(&g);
    assert_eq!(
        s.gets(&path),
        1,
        "the lock holder downloads; the others find it installed:\n{}",
        s.log_text()
    );
}

#[test]
fn second_install_waits_and_says_so() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    // About 1.6 s for the whole body.
    s.set_fault(
        &path,
        Fault::new().slow(4 * 1024, Duration::from_millis(100)),
    );
    let g = world(&s);
    let first = g.spawn(["install", "1.22.6"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.gets(&path) == 0 {
        assert!(
            Instant::now() < deadline,
            "first install never fetched the archive:\n{}",
            s.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = g.run(["install", "1.22.6"]).ok().stderr_has("waiting");
    let first = finish(first).ok().stderr_has("installed go1.22.6");
    assert!(
        second.stderr.contains("go1.22.6 is already installed")
            || second.stderr.contains("installed go1.22.6"),
        "{second:?}\n{first:?}"
    );
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets(&path), 1, "{}", s.log_text());
}

#[test]
fn locks_are_per_version() {
    // A slow install of 1.22.6 does not hold up 1.21.13.
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(4 * 1024, Duration::from_millis(100)),
    );
    let g = world(&s);
    let slow = g.spawn(["install", "1.22.6"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.gets(&path) == 0 {
        assert!(Instant::now() < deadline, "{}", s.log_text());
        std::thread::sleep(Duration::from_millis(10));
    }
    let other = g
        .run(["install", "1.21.13"])
        .ok()
        .stderr_has("installed go1.21.13");
    assert!(!other.stderr.contains("waiting"), "{other:?}");
    assert!(
        g.version_dir("1.21.13").is_dir() && !g.version_dir("1.22.6").exists(),
        "1.21.13 should finish first"
    );
    finish(slow).ok();
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.21.13", "1.22.6"]);
}

#[test]
fn gvr_home_is_created_on_first_install() {
    let m = std_mirror();
    let mut g = Gvr::new();
    let fresh = g.root().join("not/yet/there");
    g.env("GVR_HOME", &fresh);
    g.run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
        .ok();
    assert!(
        fresh.join("versions/1.22.6/.gvr/receipt.json").is_file(),
        "{:?}",
        tree(&fresh)
    );
}

/// Every entry of `versions/` is a complete SDK with a receipt.
fn check_no_partial_version(g: &Gvr, round: usize) {
    for name in Gvr::ls(&g.versions_dir()) {
        assert_eq!(
            name,
            "1.22.6",
            "round {round}: unexpected entry in versions/: {:?}",
            tree(&g.versions_dir())
        );
        let v = g.version_dir(&name);
        assert!(
            g.receipt_path(&name).is_file(),
            "round {round}: versions/{name} has no receipt: {:?}",
            tree(&v)
        );
        assert!(
            v.join("bin/go").is_file() && v.join("pkg/padding.bin").is_file(),
            "round {round}: incomplete: {:?}",
            tree(&v)
        );
        let _ = g.receipt(&name);
    }
    // Whatever sits in downloads/ under a digest name really has that digest.
    for name in Gvr::ls(&g.downloads_dir()) {
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let got = sha256_hex(&std::fs::read(g.downloads_dir().join(&name)).unwrap());
            assert_eq!(
                got, name,
                "round {round}: downloads/{name} holds other bytes"
            );
        }
    }
}

#[test]
fn kill_9_at_random_moments_never_leaves_a_partial_version() {
    let m = padded_mirror(256 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(16 * 1024, Duration::from_millis(10)),
    );
    let g = world(&s);
    g.run(["list-remote"]).ok();
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut leftovers_seen = 0;
    for round in 0..10 {
        if round % 2 == 0 {
            // Half the rounds download; the others unpack from the cache (a shorter window).
            let _ = std::fs::remove_dir_all(g.downloads_dir());
        }
        let delay = Duration::from_millis(rand() % 350);
        let (args, mut child) = g.spawn(["install", "1.22.6"]);
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        check_no_partial_version(&g, round);
        if !Gvr::ls(&g.tmp_dir()).is_empty() {
            leftovers_seen += 1;
        }

        let r = g.run(["install", "1.22.6"]);
        assert_eq!(r.code, 0, "round {round} (killed after {delay:?}, {args:?} → {status:?}): recovery failed:\n{r:?}");
        assert_installed(&g, "1.22.6");
        check_no_partial_version(&g, round);
        assert_tmp_clean(&g);
        g.run(["uninstall", "1.22.6"]).ok();
    }
    // Otherwise "the next run cleans the leftovers" was never exercised.
    assert!(
        leftovers_seen > 0,
        "no kill left anything in tmp/; the loop did not interrupt installs"
    );
}

/// Another process's scratch space in tmp/ (here: a gopls build in progress, staged by
/// the shared `<kind>-<pid>-<rand>` rule with its lock held by this test process) is not
/// a leftover: `gvr install` and `gvr uninstall` clean tmp/ around it. A dead one goes.
#[test]
fn install_never_removes_another_live_operations_staging() {
    let m = MirrorBuilder::new().sdks(&["1.22.6"]).build();
    let s = serve(&m);
    let g = world(&s);
    let tmp = g.tmp_dir();
    std::fs::create_dir_all(&tmp).unwrap();
    let live = format!("gopls-{}-0123abcd", std::process::id());
    let lock = std::fs::File::create(tmp.join(format!("{live}.lock"))).unwrap();
    lock.lock().unwrap();
    std::fs::create_dir(tmp.join(&live)).unwrap();
    std::fs::write(tmp.join(&live).join("gopls"), b"half built").unwrap();
    // A dead process's stage: lock file present, nobody holding it.
    std::fs::create_dir(tmp.join("gopls-999999-dead")).unwrap();
    std::fs::write(tmp.join("gopls-999999-dead.lock"), b"").unwrap();

    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(
        tmp.join(&live).join("gopls").is_file(),
        "a live gopls stage was removed; tmp/: {:?}",
        tree(&tmp)
    );
    assert_eq!(
        Gvr::ls(&tmp),
        [live.clone(), format!("{live}.lock")],
        "only the live stage is left"
    );
    drop(lock);
    g.run(["install", "1.22.6"]).ok();
    assert_tmp_clean(&g);
}

/// Before 1.21 a minor's first release is `go1.20`, never `go1.20.0`, yet Go counts them
/// equal: `1.20.0` installs, selects and uninstalls `versions/1.20`.
#[test]
fn pre_1_21_dot_zero_is_the_minors_first_release() {
    let m = MirrorBuilder::new().sdks(&["1.20.1", "1.20"]).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.20.0"])
        .ok()
        .stderr_has("released as go1.20")
        .stderr_has("installed go1.20 ");
    assert_installed(&g, "1.20");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.20"]);
    assert_eq!(g.receipt("1.20")["version"], "1.20");
    g.run(["install", "go1.20.0"])
        .ok()
        .stderr_has("go1.20 is already installed");

    // A pin spelled `1.20.0` runs the installed go1.20.
    std::fs::write(g.work().join(".go-version"), "1.20.0\n").unwrap();
    g.run(["exec", "--", "go", "version"])
        .ok()
        .stdout_has(&format!("go version go1.20 {}/{}", host_os(), host_arch()));

    g.run(["uninstall", "1.20.0"])
        .ok()
        .stderr_has("uninstalled go1.20 ");
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());

    // Without an index, sidecars alone: the archive is looked up under Go's name too.
    let mut m = m;
    m.remove_index();
    let fresh = world(&s);
    fresh
        .run(["install", "1.20.0"])
        .ok()
        .stderr_has("installed go1.20 ");
    assert_installed(&fresh, "1.20");
    assert_eq!(fresh.receipt("1.20")["checksum_source"], "sidecar");
}

/// Durable before visible (DESIGN §6): traced with strace, the staged tree is flushed
/// (one syncfs, or an fsync per file where syncfs is missing) before the rename into
/// versions/, and versions/ itself is fsync'd after it. Needs strace (.ci/run installs
/// it); without it the test is skipped locally and fails in CI.
#[cfg(target_os = "linux")]
#[test]
fn install_flushes_the_tree_before_the_commit_rename_and_versions_after() {
    let have_strace = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_strace {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let m = MirrorBuilder::new().sdks(&["1.22.6"]).build();
    let s = serve(&m);
    let g = world(&s);
    let trace = g.root().join("strace.txt");
    let mut args: Vec<String> = [
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=syncfs,fsync,rename,renameat,renameat2",
        "-o",
    ]
    .map(String::from)
    .to_vec();
    args.push(trace.display().to_string());
    args.push(crate::support::cli::gvr_bin().to_string());
    args.extend(["install", "1.22.6"].map(String::from));
    let r = g.run_program("strace", &args);
    assert_eq!(r.code, 0, "{r:?}");
    assert_installed(&g, "1.22.6");
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dest = g.version_dir("1.22.6").display().to_string();
    let commit = lines
        .iter()
        .position(|l| l.contains("rename") && l.contains(&format!("\"{dest}\"")))
        .unwrap_or_else(|| panic!("no rename into {dest} in the trace:\n{text}"));
    let flushed = lines[..commit].iter().any(|l| {
        (l.contains("syncfs(") || (l.contains("fsync(") && l.contains("VERSION>")))
            && l.trim_end().ends_with("= 0")
    });
    assert!(
        flushed,
        "nothing flushed the stage before the commit rename:\n{text}"
    );
    let versions = g.versions_dir().display().to_string();
    let synced = lines[commit..]
        .iter()
        .any(|l| l.contains("fsync(") && l.contains(&format!("<{versions}>")));
    assert!(
        synced,
        "versions/ not fsync'd after the commit rename:\n{text}"
    );
}

// ---------------------------------------------------------------------------------------
// list, uninstall, list-remote

#[test]
fn list_shows_installed_versions_newest_first() {
    let g = Gvr::new();
    g.run(["list"]).ok();
    for v in ["1.21.13", "1.22.6", "1.23rc1", "1.22.10"] {
        sdk::install_fake(&g.gvr_home(), v);
    }
    let r = g.run(["list"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.23rc1", "1.22.10", "1.22.6", "1.21.13"],
        "{r:?}"
    );
    assert_eq!(r.stdout_lines().len(), 4, "one per line:\n{r:?}");

    let j = g.run(["list", "--json"]).ok().json();
    let arr = j.as_array().expect("a JSON array");
    let got: Vec<(String, String)> = arr
        .iter()
        .map(|e| {
            (
                bare(e["version"].as_str().unwrap()).to_string(),
                e["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = ["1.23rc1", "1.22.10", "1.22.6", "1.21.13"]
        .iter()
        .map(|v| {
            (
                v.to_string(),
                g.version_dir(v).to_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn list_json_is_an_empty_array_when_nothing_is_installed() {
    let g = Gvr::new();
    assert_eq!(g.run(["list", "--json"]).ok().json(), serde_json::json!([]));
}

#[test]
fn uninstall_removes_versions_and_rejects_unknown_ones() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6", "1.21.13"]).ok();
    sdk::install_fake(&g.gvr_home(), "1.22.10");
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(!g.version_dir("1.22.6").exists());
    assert_eq!(
        listed_versions(&g.run(["list"]).ok().stdout),
        ["1.22.10", "1.21.13"]
    );
    g.run(["uninstall", "1.22.6"]).fails().stderr_has("1.22.6");
    g.run(["uninstall", "go1.21.13", "1.22.10"]).ok();
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());
    assert_tmp_clean(&g);
}

#[test]
fn list_remote_stable_all_prefix_and_json() {
    let m = MirrorBuilder::new()
        .sdks(&[
            "1.23rc1",
            "1.23beta1",
            "1.22.10",
            "1.22.6",
            "1.22.5",
            "1.21.13",
        ])
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["list-remote"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.22.5", "1.21.13"],
        "{r:?}"
    );
    let r = g.run(["list-remote", "--all"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        [
            "1.23rc1",
            "1.23beta1",
            "1.22.10",
            "1.22.6",
            "1.22.5",
            "1.21.13"
        ],
        "{r:?}"
    );
    let r = g.run(["list-remote", "1.22"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.22.5"],
        "{r:?}"
    );
    let r = g.run(["list-remote", "1.23"]).ok();
    assert_eq!(listed_versions(&r.stdout), Vec::<String>::new(), "{r:?}");
    let r = g.run(["list-remote", "1.23", "--all"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.23rc1", "1.23beta1"],
        "{r:?}"
    );

    let j = g.run(["list-remote", "--all", "--json"]).ok().json();
    let got: Vec<(String, bool)> = j
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|e| {
            (
                bare(e["version"].as_str().unwrap()).to_string(),
                e["stable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1.23rc1", false),
            ("1.23beta1", false),
            ("1.22.10", true),
            ("1.22.6", true),
            ("1.22.5", true),
            ("1.21.13", true)
        ]
        .map(|(v, s)| (v.to_string(), s))
    );
    let j = g.run(["list-remote", "--json", "1.21"]).ok().json();
    assert_eq!(j.as_array().unwrap().len(), 1, "{j}");
}

#[test]
fn list_remote_sorts_by_version_not_by_index_order() {
    let m = MirrorBuilder::new()
        .sdks(&["1.21.13", "1.22.6", "1.22.10", "1.9.2"])
        .build();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["list-remote"]).ok();
    assert_eq!(
        listed_versions(&r.stdout),
        ["1.22.10", "1.22.6", "1.21.13", "1.9.2"],
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------
// output

#[test]
fn quiet_install_prints_nothing_on_success() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["--quiet", "install", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    let r = g.run(["install", "-q", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    let r = g.run(["--quiet", "uninstall", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    // Errors still show.
    g.run(["--quiet", "uninstall", "1.22.6"])
        .fails()
        .stderr_has("1.22.6");
}

#[test]
fn progress_without_a_terminal_is_plain_lines() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["install", "1.22.6"]).ok();
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\u{1b}'),
        "terminal control codes on a pipe:\n{r:?}"
    );
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "expected one line per step:\n{r:?}");
    assert!(lines.len() <= 20, "too chatty for a pipe:\n{r:?}");
    assert_eq!(r.stdout, "", "progress belongs on stderr");
}

#[test]
fn progress_on_a_terminal_draws_bars() {
    // `script` gives gvr a pseudo-terminal; the bar redraws in place.
    if !Path::new("/usr/bin/script").exists() {
        panic!("this test needs util-linux `script` at /usr/bin/script");
    }
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    s.set_fault(
        &m.archive_path("1.22.6"),
        Fault::new().slow(4 * 1024, Duration::from_millis(40)),
    );
    let mut g = world(&s);
    g.env("TERM", "xterm");
    let inner = format!("{} install 1.22.6", crate::support::cli::gvr_bin());
    let r = g.run_program("/usr/bin/script", ["-qec", inner.as_str(), "/dev/null"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("installed go1.22.6"), "{r:?}");
    assert!(
        r.stdout.contains('\r') && r.stdout.contains("\u{1b}["),
        "no bar drawn on a terminal:\n{r:?}"
    );
    assert_installed(&g, "1.22.6");

    // --quiet draws nothing, terminal or not.
    let inner = format!(
        "{} --quiet install --force 1.22.6",
        crate::support::cli::gvr_bin()
    );
    let r = g.run_program("/usr/bin/script", ["-qec", inner.as_str(), "/dev/null"]);
    assert_eq!((r.code, r.stdout.trim()), (0, ""), "{r:?}");
}

/// Makes `dir` unwritable even for root (`chattr +i`), or by mode where that is not
/// possible; undone on drop.
struct Unwritable(std::path::PathBuf);

impl Unwritable {
    fn new(dir: &Path) -> Unwritable {
        let immutable = Command::new("/usr/bin/chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !immutable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        assert!(
            std::fs::write(dir.join("probe"), "x").is_err(),
            "could not make {} unwritable",
            dir.display()
        );
        Unwritable(dir.to_path_buf())
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        let _ = Command::new("/usr/bin/chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn unwritable_gvr_home_is_an_error_naming_the_path() {
    let m = std_mirror();
    let g = Gvr::new();
    let _guard = Unwritable::new(&g.gvr_home());
    let r = g
        .run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
        .fails();
    assert!(
        r.stderr.contains(g.gvr_home().to_str().unwrap()),
        "the error should name the path:\n{r:?}"
    );
}

#[test]
fn verbose_names_the_archive_url() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["-v", "install", "1.22.6"]).ok().stderr_has(&format!(
        "{}{}",
        s.url(),
        m.archive_path("1.22.6")
    ));
}

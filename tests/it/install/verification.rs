//! Checksum verification: mismatches, missing checksums, VERSION checks; nothing unverified lands.

use super::*;

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

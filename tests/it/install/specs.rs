//! Version specs on the command line: exact, prefix, `latest`, prerelease, bad input.

use super::*;

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

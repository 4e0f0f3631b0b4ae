//! Installing from a GOPROXY, and the checksum database as the trust anchor for every
//! release it holds: a local proxy (loopback HTTP or file://) with a test database
//! signed by a test key.

use super::unpack::assert_mode;
use super::*;
use crate::support::fixtures::sdk_entries;
use crate::support::goproxy::{h1_of_zip, module_zip_from, TestProxy, DB_NAME};
use crate::support::sumdb_log::TestLog;

/// A synthetic release's go.dev-layout entries, with the parts the module leaves out
/// (doc/) and renames (go.mod).
fn release_entries(v: &str) -> Vec<RawEntry> {
    let mut e = sdk_entries(v, host_os(), host_arch(), &SdkOptions::default());
    e.push(RawEntry::dir("go/doc/"));
    e.push(RawEntry::file(
        "go/doc/go_spec.html",
        0o644,
        b"<html>spec</html>",
    ));
    e.push(RawEntry::file("go/src/go.mod", 0o644, b"module std\n"));
    e
}

/// A proxy publishing the module of each release, its hash in the test database.
fn proxy_with(versions: &[&str]) -> TestProxy {
    let mut p = TestProxy::new();
    for v in versions {
        let zip = module_zip_from(&release_entries(v), v);
        let h1 = h1_of_zip(&zip);
        p.publish(v, &zip, &h1);
    }
    p
}

/// A world that installs through `proxy` over HTTP, trusting the test database.
fn proxy_world(proxy: &TestProxy, server: &Server) -> Gvr {
    let mut g = Gvr::new();
    g.env("GOPROXY", server.url())
        .env("GOSUMDB", proxy.gosumdb())
        .env("GVR_SOURCE", "goproxy")
        .unset("GVR_SUMDB");
    g
}

/// A world that installs from a mirror, with the test database as GOSUMDB through `proxy`.
fn mirror_world(mirror: &Server, proxy: &TestProxy, proxy_server: &Server) -> Gvr {
    let mut g = world(mirror);
    g.env("GOPROXY", proxy_server.url())
        .env("GOSUMDB", proxy.gosumdb())
        .unset("GVR_SUMDB");
    g
}

#[test]
fn installs_the_toolchain_module_verified_by_the_checksum_database() {
    let p = proxy_with(&["1.22.6", "1.22.10"]);
    let s = Server::start(p.path());
    let g = proxy_world(&p, &s);
    let r = g.run(["install", "1.22", "-v"]).ok();
    assert!(
        r.stderr
            .contains("verified against the checksum database sum.test.example"),
        "{r:?}"
    );
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
    assert!(
        r.stderr.contains("source the GOPROXY http://127.0.0.1"),
        "{r:?}"
    );
    assert_installed(&g, "1.22.10");
    let v = g.version_dir("1.22.10");
    // Unpacked as the go command does: prefix gone, go.mod back, tools executable.
    assert_eq!(
        std::fs::read(v.join("src/go.mod")).unwrap(),
        b"module std\n"
    );
    assert!(!v.join("src/_go.mod").exists() && !v.join("doc").exists());
    assert_mode(&v.join("bin/go"), 0o755);
    assert_mode(
        &v.join(format!("pkg/tool/{}_{}/compile", host_os(), host_arch())),
        0o755,
    );
    assert_mode(&v.join("src/fmt/print.go"), 0o644);
    let receipt = g.receipt("1.22.10");
    assert_eq!(receipt["anchor"], "sumdb");
    assert_eq!(receipt["toolchain_module"], true);
    let zip = module_zip_from(&release_entries("1.22.10"), "1.22.10");
    assert_eq!(receipt["module_h1"], h1_of_zip(&zip));
    assert_eq!(receipt["sha256"], sha256_hex(&zip));
    // The database's tree head is kept for the next lookup.
    assert!(g
        .gvr_home()
        .join("sumdb")
        .join(DB_NAME)
        .join("latest")
        .is_file());
    // `gvr list` says what the install lacks.
    let list = g.run(["list"]).ok();
    assert!(
        list.stdout.contains("1.22.10  (toolchain module"),
        "{list:?}"
    );
    let j = g.run(["list", "--json"]).ok().json();
    assert_eq!(j[0]["toolchain_module"], true);
    assert_eq!(j[0]["anchor"], "sumdb");
    // list-remote reads @v/list.
    let remote = g.run(["list-remote"]).ok();
    assert_eq!(remote.stdout_lines(), ["1.22.10", "1.22.6"]);
}

#[test]
fn a_tampered_module_zip_is_refused() {
    let mut p = proxy_with(&[]);
    let good = module_zip_from(&release_entries("1.22.6"), "1.22.6");
    p.record("1.22.6", &h1_of_zip(&good));
    // The proxy serves another 1.22.6: one byte of bin/go changed.
    let mut entries = release_entries("1.22.6");
    let go = entries.iter_mut().find(|e| e.name == "go/bin/go").unwrap();
    go.data.push(b'\n');
    p.put_zip("1.22.6", &module_zip_from(&entries, "1.22.6"));
    let s = Server::start(p.path());
    let g = proxy_world(&p, &s);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("is not the release Go published")
        .stderr_has(&h1_of_zip(&good));
    assert!(!g.version_dir("1.22.6").exists());
    assert_eq!(
        Gvr::ls(&g.tmp_dir()),
        Vec::<String>::new(),
        "nothing left in tmp/"
    );
}

#[test]
fn a_mirror_whose_own_checksums_agree_but_differ_from_the_release_is_refused() {
    let mut p = TestProxy::new();
    // The published 1.22.6 …
    let published = module_zip_from(&release_entries("1.22.6"), "1.22.6");
    p.record("1.22.6", &h1_of_zip(&published));
    // … and a mirror serving a modified one, with a matching index.json and sidecar.
    let mut entries = release_entries("1.22.6");
    entries
        .iter_mut()
        .find(|e| e.name == "go/src/fmt/print.go")
        .unwrap()
        .data = b"package fmt // trojan\n".to_vec();
    let m = MirrorBuilder::new()
        .dist(Dist::raw(
            "1.22.6",
            crate::support::fixtures::tar_gz(&entries),
        ))
        .build();
    let ms = serve(&m);
    let ps = Server::start(p.path());
    let g = mirror_world(&ms, &p, &ps);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("go1.22.6.")
        .stderr_has("is not the release Go published")
        .stderr_has("golang.org/toolchain@v0.0.1-go1.22.6.");
    assert!(!g.version_dir("1.22.6").exists());

    // The genuine archive from the same mirror is anchored by the database.
    let m = MirrorBuilder::new()
        .dist(Dist::raw(
            "1.22.6",
            crate::support::fixtures::tar_gz(&release_entries("1.22.6")),
        ))
        .build();
    let ms = serve(&m);
    let g = mirror_world(&ms, &p, &ps);
    let r = g.run(["install", "1.22.6", "-v"]).ok();
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
    assert!(
        !r.stderr.contains("plain http"),
        "no warning when the database vouches: {r:?}"
    );
    let receipt = g.receipt("1.22.6");
    assert_eq!(receipt["anchor"], "sumdb");
    assert_eq!(receipt["module_h1"], h1_of_zip(&published));
    assert_ne!(receipt["toolchain_module"], true, "it has doc/");
    // GVR_SUMDB=off: gvr leaves the database alone (Go's GOSUMDB is untouched).
    let mut g = world(&ms);
    g.env("GOPROXY", ps.url()).env("GOSUMDB", p.gosumdb());
    let before = ps.requests().len();
    g.run(["install", "1.22.6", "-v"])
        .ok()
        .stderr_has("anchor mirror-asserted");
    assert_eq!(ps.requests().len(), before, "no database request");
}

#[test]
fn a_tree_head_inconsistent_with_the_stored_one_is_refused() {
    let mut p = proxy_with(&["1.22.6"]);
    let s = Server::start(p.path());
    let g = proxy_world(&p, &s);
    g.run(["install", "1.22.6"]).ok();
    let stored = std::fs::read(g.gvr_home().join("sumdb").join(DB_NAME).join("latest")).unwrap();

    // The database (same key) now serves another history that also holds 1.22.10.
    let mut forked = TestLog::new(DB_NAME, 7);
    forked.add_filler(5);
    let zip = module_zip_from(&release_entries("1.22.10"), "1.22.10");
    p.put_zip("1.22.10", &zip);
    forked.add(
        "golang.org/toolchain",
        &crate::support::goproxy::module_version("1.22.10"),
        &h1_of_zip(&zip),
    );
    forked.add_filler(60);
    p.replace_log(forked);
    g.run(["install", "1.22.10"])
        .fails()
        .stderr_has("SECURITY ERROR")
        .stderr_has("inconsistent with the one gvr stored");
    assert!(!g.version_dir("1.22.10").exists());
    assert_eq!(
        std::fs::read(g.gvr_home().join("sumdb").join(DB_NAME).join("latest")).unwrap(),
        stored,
        "the stored head is kept"
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let mut p = proxy_with(&[]);
    let zip = module_zip_from(&release_entries("1.22.6"), "1.22.6");
    p.put_zip("1.22.6", &zip);
    // Signed by another key under the same name.
    let mut impostor = TestLog::new(DB_NAME, 9);
    impostor.add(
        "golang.org/toolchain",
        &crate::support::goproxy::module_version("1.22.6"),
        &h1_of_zip(&zip),
    );
    let trusted = p.gosumdb();
    p.replace_log(impostor);
    let s = Server::start(p.path());
    let mut g = proxy_world(&p, &s);
    g.env("GOSUMDB", trusted);
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("not signed by sum.test.example's key");
    assert!(!g.version_dir("1.22.6").exists());
    assert!(!g
        .gvr_home()
        .join("sumdb")
        .join(DB_NAME)
        .join("latest")
        .exists());
}

#[test]
fn gosumdb_off_is_refused_without_allow_unverified() {
    let p = proxy_with(&["1.22.6"]);
    let s = Server::start(p.path());
    let mut g = proxy_world(&p, &s);
    g.env("GOSUMDB", "off");
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("GOSUMDB=off")
        .stderr_has("--allow-unverified");
    assert!(!g.version_dir("1.22.6").exists());
    assert!(
        s.requests().is_empty(),
        "refused before downloading anything"
    );
    // GONOSUMDB matching the module is the same.
    let mut g2 = proxy_world(&p, &s);
    g2.env("GONOSUMDB", "golang.org");
    g2.run(["install", "1.22.6"])
        .fails()
        .stderr_has("GONOSUMDB");
    // With the flag it installs, recorded as unverified.
    g.run(["install", "1.22.6", "--allow-unverified"]).ok();
    assert_eq!(g.receipt("1.22.6")["anchor"], "unverified");
    // A single file:// GOPROXY may skip the database, as Go allows.
    let mut g3 = Gvr::new();
    g3.unset("GVR_SUMDB")
        .env("GOPROXY", p.file_url())
        .env("GOSUMDB", "off")
        .env("GVR_SOURCE", "goproxy");
    g3.run(["install", "1.22.6"]).ok();
    assert_eq!(g3.receipt("1.22.6")["anchor"], "file-proxy");
    assert_installed(&g3, "1.22.6");
}

#[test]
fn a_pre_1_21_archive_from_a_mirror_is_mirror_asserted() {
    let p = TestProxy::new();
    let ps = Server::start(p.path());
    let m = MirrorBuilder::new().sdk("1.20.14").build();
    let ms = serve(&m);
    let g = mirror_world(&ms, &p, &ps);
    let r = g.run(["install", "1.20.14", "-v"]).ok();
    assert!(r.stderr.contains("anchor mirror-asserted"), "{r:?}");
    assert!(
        r.stderr.contains("over plain http"),
        "plain http warns: {r:?}"
    );
    assert_eq!(g.receipt("1.20.14")["anchor"], "mirror-asserted");
    assert!(
        ps.requests().is_empty(),
        "the database is not asked about a release it cannot hold: {:?}",
        ps.requests()
    );
}

#[test]
fn an_unreachable_database_falls_back_unless_required() {
    let m = MirrorBuilder::new()
        .dist(Dist::raw(
            "1.22.6",
            crate::support::fixtures::tar_gz(&release_entries("1.22.6")),
        ))
        .build();
    let ms = serve(&m);
    let p = TestProxy::new();
    let mut g = world(&ms);
    g.unset("GVR_SUMDB");
    // The database's own address on a closed port; no proxy in between.
    g.env("GOPROXY", "off")
        .env("GOSUMDB", format!("{} http://127.0.0.1:9", p.gosumdb()));
    g.env("GVR_SUMDB", "require");
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("cannot be reached")
        .stderr_has("GVR_SUMDB=require");
    assert!(!g.version_dir("1.22.6").exists());
    g.unset("GVR_SUMDB");
    let r = g.run(["install", "1.22.6"]).ok();
    assert!(r.stderr.contains("cannot be reached"), "says so: {r:?}");
    assert_eq!(g.receipt("1.22.6")["anchor"], "mirror-asserted");
}

#[test]
fn proxies_fall_through_on_not_found() {
    let empty = TestProxy::new();
    empty.drop_sumdb();
    let p = proxy_with(&["1.22.6"]);
    let s1 = Server::start(empty.path());
    let s2 = Server::start(p.path());
    let mut g = proxy_world(&p, &s2);
    g.env("GOPROXY", format!("{},{}", s1.url(), s2.url()));
    g.run(["install", "1.22.6"]).ok();
    assert_eq!(g.receipt("1.22.6")["anchor"], "sumdb");
    // `off` first: nothing may be used.
    g.env("GOPROXY", "off");
    g.run(["install", "1.22.10"])
        .fails()
        .stderr_has("GOPROXY is `off`");
}

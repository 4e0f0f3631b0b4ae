//! `gvr mirror sync|verify|serve` and installs from a kit: releases synced from a local
//! go.dev-layout mirror and a local GOPROXY (loopback HTTP) with a test checksum
//! database, then installed with every upstream stopped and GOPROXY pointing nowhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::cli::{Gvr, Run};
use crate::support::fixtures::{
    host_arch, host_os, tar_gz, Dist, MirrorBuilder, RawEntry, SdkOptions,
};
use crate::support::fixtures::{sdk_entries, Mirror};
use crate::support::goproxy::{h1_of_zip, module_version, module_zip_from, TestProxy, DB_NAME};
use crate::support::server::{Fault, Server};

fn release_entries(v: &str) -> Vec<RawEntry> {
    let mut e = sdk_entries(v, host_os(), host_arch(), &SdkOptions::default());
    e.push(RawEntry::dir("go/doc/"));
    e.push(RawEntry::file(
        "go/doc/go_spec.html",
        0o644,
        b"<html>spec</html>",
    ));
    e.push(RawEntry::file("go/src/go.mod", 0o644, b"module std\n"));
    // Enough bytes that a slowed download can be interrupted.
    e.push(RawEntry::file(
        "go/pkg/tool/data.bin",
        0o644,
        &crate::support::fixtures::noise(64 << 10, v.len() as u64),
    ));
    e
}

/// The connected side: a GOPROXY publishing `modules` (hash in the test database) and
/// a go.dev-layout mirror with the archives of `archives`.
struct Upstream {
    proxy: TestProxy,
    proxy_server: Server,
    mirror: Mirror,
    mirror_server: Server,
}

fn upstream(modules: &[&str], archives: &[&str]) -> Upstream {
    let mut proxy = TestProxy::new();
    for v in modules {
        let zip = module_zip_from(&release_entries(v), v);
        let h1 = h1_of_zip(&zip);
        proxy.publish(v, &zip, &h1);
    }
    let mut b = MirrorBuilder::new();
    for v in archives {
        b = b.dist(Dist::raw(v, tar_gz(&release_entries(v))));
    }
    let mirror = b.build();
    let proxy_server = Server::start(proxy.path());
    let mirror_server = Server::start(mirror.path());
    Upstream {
        proxy,
        proxy_server,
        mirror,
        mirror_server,
    }
}

impl Upstream {
    /// A connected machine that syncs from this upstream.
    fn syncer(&self) -> Gvr {
        let mut g = Gvr::new();
        g.env("GOPROXY", self.proxy_server.url())
            .env("GOSUMDB", self.proxy.gosumdb())
            .unset("GVR_SUMDB")
            .mirror(self.mirror_server.url());
        g
    }
}

/// An air-gapped machine: the kit as its mirror, and a GOPROXY that goes nowhere, so any
/// attempt to use something other than the kit fails.
fn offline(u: &Upstream, kit: impl AsRef<std::ffi::OsStr>) -> Gvr {
    let mut g = Gvr::new();
    g.env("GOPROXY", "http://127.0.0.1:9")
        .env("GOSUMDB", u.proxy.gosumdb())
        .unset("GVR_SUMDB")
        .env("GVR_RETRY_ATTEMPTS", "1")
        .mirror(kit);
    g
}

fn kit_dir(g: &Gvr) -> PathBuf {
    g.root().join("kit")
}

fn sync(g: &Gvr, specs: &[&str]) -> Run {
    let kit = kit_dir(g);
    let mut args = vec![
        "mirror".to_string(),
        "sync".into(),
        kit.display().to_string(),
    ];
    args.extend(specs.iter().map(|s| s.to_string()));
    g.run(args)
}

fn verify(g: &Gvr, kit: &Path) -> Run {
    g.run(["mirror".as_ref(), "verify".as_ref(), kit.as_os_str()])
}

fn archive(v: &str) -> String {
    format!("go{v}.{}-{}.tar.gz", host_os(), host_arch())
}

fn toolchain_zip(v: &str) -> String {
    format!("golang.org/toolchain/@v/{}.zip", module_version(v))
}

fn copy_dir(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

fn flip_last_byte(p: &Path) {
    let mut b = std::fs::read(p).unwrap();
    let n = b.len() - 1;
    b[n] ^= 0x01;
    std::fs::write(p, b).unwrap();
}

#[test]
fn sync_builds_a_kit_that_installs_with_nothing_else_reachable() {
    let mut u = upstream(&["1.22.6", "1.22.10"], &["1.22.6", "1.22.10"]);
    let g = u.syncer();
    let r = sync(&g, &["1.22.6", "1.22.10", "-v"]).ok();
    assert!(r.stderr.contains("go1.22.6, go1.22.10"), "{r:?}");
    let kit = kit_dir(&g);
    for f in [
        archive("1.22.6"),
        format!("{}.sha256", archive("1.22.10")),
        "index.json".into(),
        "gvr-kit.json".into(),
        toolchain_zip("1.22.10"),
        "golang.org/toolchain/@v/list".into(),
        format!("sumdb/{DB_NAME}/latest"),
        format!("sumdb/{DB_NAME}/supported"),
        format!(
            "sumdb/{DB_NAME}/lookup/golang.org/toolchain@{}",
            module_version("1.22.6")
        ),
    ] {
        assert!(kit.join(&f).is_file(), "kit lacks {f}: {r:?}");
    }
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kit.join("index.json")).unwrap()).unwrap();
    assert_eq!(index[0]["version"], "go1.22.10", "newest first: {index}");
    assert_eq!(index[1]["files"][0]["filename"], archive("1.22.6"));
    // No scratch left behind.
    assert!(!crate::support::cli::tree(&kit)
        .iter()
        .any(|f| f.contains(".partial")));
    verify(&g, &kit).ok().stderr_has("verified");

    // Re-running keeps everything: nothing is downloaded again.
    u.proxy_server.clear_log();
    u.mirror_server.clear_log();
    sync(&g, &["1.22.6", "1.22.10"]).ok().stderr_has("0 added");
    assert_eq!(u.mirror_server.gets(&format!("/{}", archive("1.22.6"))), 0);

    // The air-gapped side: every upstream gone.
    u.proxy_server.stop();
    u.mirror_server.stop();
    let a = offline(&u, &kit);
    let r = a.run(["install", "1.22.6", "-v"]).ok();
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
    assert_eq!(a.receipt("1.22.6")["anchor"], "sumdb");
    // Through `gvr mirror serve` too.
    let (url, mut server) = serve_kit(&a, &kit);
    let b = offline(&u, &url);
    let r = b.run(["install", "1.22.10", "-v"]).ok();
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
    let _ = server.kill();
    let _ = server.wait();
    let _ = &mut u;
}

/// Starts `gvr mirror serve` on a free port; returns its URL and the process.
fn serve_kit(g: &Gvr, kit: &Path) -> (String, std::process::Child) {
    let mut cmd = g.command([
        "mirror".as_ref(),
        "serve".as_ref(),
        kit.as_os_str(),
        "--addr".as_ref(),
        "127.0.0.1:0".as_ref(),
    ]);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line:?}");
    (line.trim().to_string(), child)
}

#[test]
fn serve_is_read_only_static_and_stays_inside_the_kit() {
    let g = Gvr::new();
    let kit = g.root().join("kit");
    std::fs::create_dir_all(kit.join("a")).unwrap();
    std::fs::write(kit.join("a/file.bin"), b"0123456789").unwrap();
    std::fs::write(kit.join(".gvr-sync.lock"), b"").unwrap();
    std::fs::write(g.root().join("secret"), b"s").unwrap();
    let (url, mut child) = serve_kit(&g, &kit);
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    // One request per connection: the server keeps connections alive otherwise.
    let get = |path: &str, extra: &str| {
        crate::support::server::raw_get(addr, path, &format!("{extra}Connection: close\r\n"))
    };
    let full = get("/a/file.bin", "");
    assert!(full.starts_with("HTTP/1.1 200"), "{full}");
    assert!(full.ends_with("0123456789"), "{full}");
    let part = get("/a/file.bin", "Range: bytes=2-4\r\n");
    assert!(part.starts_with("HTTP/1.1 206"), "{part}");
    assert!(
        part.contains("bytes 2-4/10") && part.ends_with("234"),
        "{part}"
    );
    assert!(get("/a/file.bin", "Range: bytes=20-\r\n").starts_with("HTTP/1.1 416"));
    for bad in [
        "/../secret",
        "/a/%2e%2e/%2e%2e/secret",
        "/.gvr-sync.lock",
        "/a",
        "/nope",
    ] {
        let r = get(bad, "");
        assert!(r.starts_with("HTTP/1.1 404"), "{bad}: {r}");
    }
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(
        &mut s,
        b"PUT /a/file.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
    )
    .unwrap();
    let mut resp = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut resp);
    assert!(resp.starts_with("HTTP/1.1 405"), "{resp}");
    assert_eq!(
        std::fs::read(kit.join("a/file.bin")).unwrap(),
        b"0123456789"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_release_without_an_archive_installs_from_the_kits_goproxy_layout() {
    let mut u = upstream(&["1.22.6", "1.22.10"], &["1.22.6"]);
    let g = u.syncer();
    sync(&g, &["1.22.6", "1.22.10"])
        .ok()
        .stderr_has("the kit holds its toolchain module");
    let kit = kit_dir(&g);
    assert!(!kit.join(archive("1.22.10")).exists());
    assert!(kit.join(toolchain_zip("1.22.10")).is_file());
    verify(&g, &kit).ok();
    u.proxy_server.stop();
    u.mirror_server.stop();
    let a = offline(&u, &kit);
    let r = a.run(["install", "1.22.10", "-v"]).ok();
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
    assert_eq!(a.receipt("1.22.10")["toolchain_module"], true);
}

#[test]
fn a_modified_archive_upstream_never_enters_the_kit() {
    let u = upstream(&["1.22.6"], &[]);
    // The mirror's archive and its own checksums agree, but it is not the release.
    let mut entries = release_entries("1.22.6");
    entries
        .iter_mut()
        .find(|e| e.name == "go/src/fmt/print.go")
        .unwrap()
        .data = b"package fmt // trojan\n".to_vec();
    let m = MirrorBuilder::new()
        .dist(Dist::raw("1.22.6", tar_gz(&entries)))
        .build();
    let ms = Server::start(m.path());
    let mut g = u.syncer();
    g.mirror(ms.url());
    sync(&g, &["1.22.6"])
        .fails()
        .stderr_has("is not what the checksum database records")
        .stderr_has(&archive("1.22.6"));
    let kit = kit_dir(&g);
    assert!(!kit.join(archive("1.22.6")).exists());
    assert!(!crate::support::cli::tree(&kit)
        .iter()
        .any(|f| f.contains(".partial")));
}

/// One kit, then each kind of file tampered with in a copy of it: verify names the file
/// and exits 1, and an install from the copy fails naming it.
#[test]
fn tampering_with_an_archive_sidecar_or_proof_fails_verify_and_install() {
    let mut u = upstream(&["1.22.6"], &["1.22.6"]);
    let g = u.syncer();
    sync(&g, &["1.22.6"]).ok();
    let kit = kit_dir(&g);
    u.proxy_server.stop();
    u.mirror_server.stop();
    let lookup = format!(
        "sumdb/{DB_NAME}/lookup/golang.org/toolchain@{}",
        module_version("1.22.6")
    );
    let tile = crate::support::cli::tree(&kit.join(format!("sumdb/{DB_NAME}/tile")))
        .into_iter()
        .find(|t| kit.join(format!("sumdb/{DB_NAME}/tile")).join(t).is_file())
        .map(|t| format!("sumdb/{DB_NAME}/tile/{t}"))
        .expect("the kit holds tiles");
    type Tamper = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, String, Tamper)> = vec![
        ("archive", archive("1.22.6"), Box::new(flip_last_byte)),
        (
            "sidecar",
            format!("{}.sha256", archive("1.22.6")),
            Box::new(|p: &Path| std::fs::write(p, format!("{}\n", "ab".repeat(32))).unwrap()),
        ),
        ("tile", tile.clone(), Box::new(flip_last_byte)),
        (
            "lookup",
            lookup.clone(),
            Box::new(|p: &Path| {
                let t = std::fs::read_to_string(p).unwrap();
                std::fs::write(p, t.replacen("h1:", "h1:A", 1)).unwrap()
            }),
        ),
        (
            "latest",
            format!("sumdb/{DB_NAME}/latest"),
            Box::new(flip_last_byte),
        ),
    ];
    for (what, rel, tamper) in cases {
        let copy = g.root().join(format!("kit-{what}"));
        copy_dir(&kit, &copy);
        tamper(&copy.join(&rel));
        let r = verify(&g, &copy).code(1);
        assert!(
            r.stdout.contains(&rel),
            "{what}: verify does not name {rel}: {r:?}"
        );
        let a = offline(&u, &copy);
        let r = a.run(["install", "1.22.6"]).fails();
        let name = rel.rsplit('/').next().unwrap();
        assert!(
            r.stderr.contains(name),
            "{what}: install does not name {name}: {r:?}"
        );
        assert!(!a.version_dir("1.22.6").exists(), "{what}");
    }
}

/// Kills `gvr mirror sync` at random points of slow downloads, runs it again, and the
/// kit verifies.
#[test]
fn a_killed_sync_completes_when_run_again() {
    let u = upstream(&["1.22.6", "1.22.10"], &["1.22.6", "1.22.10"]);
    for v in ["1.22.6", "1.22.10"] {
        u.mirror_server.set_fault(
            &format!("/{}", archive(v)),
            Fault::new().slow(512, Duration::from_millis(10)),
        );
        u.proxy_server.set_fault(
            &format!("/{}", toolchain_zip(v)),
            Fault::new().slow(512, Duration::from_millis(10)),
        );
    }
    let g = u.syncer();
    let kit = kit_dir(&g);
    let mut seed = std::process::id() as u64;
    let mut interrupted = 0;
    for _ in 0..4 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(30 + (seed >> 33) % 400);
        let mut cmd = g.command([
            "mirror".as_ref(),
            "sync".as_ref(),
            kit.as_os_str(),
            "1.22.6".as_ref(),
            "1.22.10".as_ref(),
        ]);
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let status = child.try_wait().unwrap();
        if status.is_none() {
            interrupted += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // Whatever has its final name is complete.
        for v in ["1.22.6", "1.22.10"] {
            if let Ok(b) = std::fs::read(kit.join(archive(v))) {
                assert_eq!(
                    crate::support::fixtures::sha256_hex(&b),
                    u.mirror.archive(v).sha256(),
                    "{v}"
                );
            }
        }
    }
    assert!(
        interrupted > 0,
        "no run was killed mid-sync; slow the downloads down"
    );
    // Kill once more in the middle of the archives, then the next run continues them.
    for v in ["1.22.6", "1.22.10"] {
        let _ = std::fs::remove_file(kit.join(archive(v)));
    }
    let mut cmd = g.command([
        "mirror".as_ref(),
        "sync".as_ref(),
        kit.as_os_str(),
        "1.22.6".as_ref(),
        "1.22.10".as_ref(),
    ]);
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = kit.join(format!(".{}.partial", archive("1.22.6")));
    let start = Instant::now();
    while std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) < 8192 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no partial download appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    let had = std::fs::metadata(&partial).unwrap().len();
    u.mirror_server.clear_log();
    sync(&g, &["1.22.6", "1.22.10"]).ok();
    let gets = u
        .mirror_server
        .requests_for(&format!("/{}", archive("1.22.6")));
    assert!(
        gets.iter().any(|r| r
            .header("range")
            .is_some_and(|h| h.starts_with(&format!("bytes={had}-")))),
        "the download was not continued from byte {had}: {:?}",
        gets.iter().map(|r| r.header("range")).collect::<Vec<_>>()
    );
    verify(&g, &kit).ok();
    assert!(!crate::support::cli::tree(&kit)
        .iter()
        .any(|f| f.contains(".partial")));
}

#[test]
fn from_pins_syncs_every_version_pinned_under_a_tree() {
    let u = upstream(&["1.22.6", "1.22.10"], &["1.22.6", "1.22.10"]);
    let g = u.syncer();
    g.write("repos/a/.go-version", "1.22.6\n");
    g.write(
        "repos/b/go.mod",
        "module b\n\ngo 1.22\n\ntoolchain go1.22.10\n",
    );
    g.write("repos/b/vendor/x/.go-version", "1.21.0\n");
    let kit = kit_dir(&g);
    let pins = g.work().join("repos");
    g.run([
        "mirror".as_ref(),
        "sync".as_ref(),
        kit.as_os_str(),
        "--from-pins".as_ref(),
        pins.as_os_str(),
    ])
    .ok()
    .stderr_has("go1.22.6, go1.22.10");
    assert!(kit.join(archive("1.22.10")).is_file());
    // Another platform: what the upstream lacks for it is named, nothing half-done.
    g.run([
        "mirror".as_ref(),
        "sync".as_ref(),
        kit.as_os_str(),
        "1.22.6".as_ref(),
        "--platforms".as_ref(),
        "plan9/mips".as_ref(),
    ])
    .fails()
    .stderr_has("plan9-mips");
    verify(&g, &kit).ok();
}

/// A machine that stored a newer tree head while online still installs from an older
/// kit: the kit's records are proven in the kit's own signed tree.
#[test]
fn an_older_kit_installs_on_a_machine_that_was_online_later() {
    let mut u = upstream(&["1.22.6"], &["1.22.6"]);
    let g = u.syncer();
    sync(&g, &["1.22.6"]).ok();
    let kit = kit_dir(&g);
    // The log grows after the sync; this machine sees the larger tree online.
    let zip = module_zip_from(&release_entries("1.22.10"), "1.22.10");
    let h1 = h1_of_zip(&zip);
    u.proxy.publish("1.22.10", &zip, &h1);
    let mut a = offline(&u, &kit);
    a.env("GOPROXY", u.proxy_server.url())
        .env("GVR_SOURCE", "goproxy")
        .unset("GVR_MIRROR");
    a.run(["install", "1.22.10"]).ok();
    u.proxy_server.stop();
    u.mirror_server.stop();
    a.env("GOPROXY", "http://127.0.0.1:9")
        .unset("GVR_SOURCE")
        .mirror(&kit);
    let r = a.run(["install", "1.22.6", "-v"]).ok();
    assert!(r.stderr.contains("anchor sumdb"), "{r:?}");
}

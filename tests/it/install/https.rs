//! https mirrors: the trust store (`SSL_CERT_FILE`), certificate errors, redirects that
//! leave https, and proxies from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`.

use super::*;
use crate::support::server::{Proxy, Tls};

/// An https server for `m` and a world that trusts its CA through `SSL_CERT_FILE`.
fn https_world(m: &Mirror) -> (Server, Tls, Gvr) {
    let tls = Tls::generate();
    let s = Server::start_tls(m.path(), &tls);
    let mut g = world(&s);
    let ca = tls.write_ca(g.root());
    g.env("SSL_CERT_FILE", ca);
    (s, tls, g)
}

#[test]
fn https_mirror_signed_by_a_ca_in_ssl_cert_file_installs() {
    let m = std_mirror();
    let (s, _tls, g) = https_world(&m);
    g.run(["install", "1.22"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_installed(&g, "1.22.10");
    assert_eq!(
        g.receipt("1.22.10")["url"],
        format!("{}{}", s.url(), m.archive_path("1.22.10"))
    );
}

#[test]
fn an_untrusted_certificate_fails_at_once_with_a_hint() {
    let m = std_mirror();
    let (s, _tls, mut g) = https_world(&m);
    g.unset("SSL_CERT_FILE");
    let started = Instant::now();
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has(&s.url())
        .stderr_has("certificate")
        .stderr_has("SSL_CERT_FILE");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.connections(), 1, "a certificate error is not retried");
    assert!(s.requests().is_empty(), "{}", s.log_text());
    assert_nothing_left(&g);
}

#[test]
fn a_cached_index_does_not_paper_over_a_certificate_error() {
    let m = std_mirror();
    let (_s, _tls, mut g) = https_world(&m);
    g.run(["list-remote"]).ok();
    g.unset("SSL_CERT_FILE");
    g.env("GVR_INDEX_TTL", "0");
    let r = g.run(["list-remote"]).fails().stderr_has("SSL_CERT_FILE");
    assert!(!r.stderr.contains("cached index"), "{r:?}");
    g.run(["install", "1.22"])
        .fails()
        .stderr_has("SSL_CERT_FILE");
}

#[test]
fn redirects_within_https_are_followed() {
    let m = std_mirror();
    std::fs::copy(m.path().join("index.json"), m.path().join("moved.json")).unwrap();
    let (s, _tls, g) = https_world(&m);
    s.set_fault(
        "/index.json",
        Fault::new().redirect(302, &format!("{}/moved.json", s.url())),
    );
    g.run(["install", "1.22"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_eq!(s.gets("/moved.json"), 1, "{}", s.log_text());
}

#[test]
fn an_https_source_redirecting_to_http_is_refused() {
    let m = MirrorBuilder::new()
        .dist(Dist::sdk("1.22.6").checksums(Checksums::SidecarOnly))
        .sdk("1.21.13")
        .build();
    let plain = serve(&m);
    let (s, _tls, g) = https_world(&m);
    // The index, a sidecar, and an archive nothing else vouches for: each refused.
    s.set_fault(
        "/index.json",
        Fault::new().redirect(302, &format!("{}/index.json", plain.url())),
    );
    g.run(["list-remote"])
        .fails()
        .stderr_has("refusing to leave https")
        .stderr_has(&format!("{}/index.json", plain.url()));
    s.clear_fault("/index.json");
    let sidecar = format!("{}.sha256", m.archive_path("1.22.6"));
    s.set_fault(
        &sidecar,
        Fault::new().redirect(301, &format!("{}{sidecar}", plain.url())),
    );
    g.run(["install", "1.22.6"])
        .fails()
        .stderr_has("refusing to leave https");
    let archive = m.archive_path("1.21.13");
    s.set_fault(
        &archive,
        Fault::new().redirect(307, &format!("{}{archive}", plain.url())),
    );
    g.run(["install", "1.21.13"])
        .fails()
        .stderr_has("refusing to leave https");
    assert!(plain.requests().is_empty(), "{}", plain.log_text());
    assert_nothing_left(&g);
}

#[test]
fn http_proxy_is_used_and_no_proxy_bypasses_it() {
    let m = std_mirror();
    let s = serve(&m);
    let proxy = Proxy::start();
    let mut g = world(&s);
    g.env("HTTP_PROXY", proxy.url());
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let seen = proxy.requests();
    assert!(
        seen.contains(&format!("GET {}/index.json HTTP/1.1", s.url())),
        "{seen:?}"
    );

    let mut g = world(&s);
    g.env("HTTP_PROXY", proxy.url());
    g.env("NO_PROXY", "127.0.0.1");
    g.run(["install", "1.22.6"]).ok();
    assert_eq!(proxy.requests().len(), seen.len(), "NO_PROXY went direct");
}

#[test]
fn https_proxy_tunnels_to_an_https_mirror() {
    let m = std_mirror();
    let (s, tls, mut g) = https_world(&m);
    let proxy = Proxy::start();
    g.env("HTTPS_PROXY", proxy.url());
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let seen = proxy.requests();
    assert!(!seen.is_empty());
    let connect = format!("CONNECT {} HTTP/1.1", s.addr());
    assert!(seen.iter().all(|r| *r == connect), "{seen:?}");

    let mut g = world(&s);
    let ca = tls.write_ca(g.root());
    g.env("SSL_CERT_FILE", ca);
    g.env("HTTPS_PROXY", proxy.url());
    g.env("NO_PROXY", "localhost,127.0.0.1");
    g.run(["install", "1.22.6"]).ok();
    assert_eq!(proxy.requests().len(), seen.len(), "NO_PROXY went direct");
}

#[test]
fn the_trust_store_is_read_only_for_https() {
    let m = std_mirror();
    let plain = serve(&m);
    let tls = Tls::generate();
    let secure = Server::start_tls(m.path(), &tls);
    for (server, works) in [(&plain, true), (&secure, false)] {
        let mut g = world(server);
        let empty = g.root().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let nowhere = g.root().join("no-such-dir");
        g.env("SSL_CERT_FILE", &empty);
        g.env("SSL_CERT_DIR", &nowhere);
        let r = g.run(["install", "1.22.6"]);
        if works {
            r.ok();
        } else {
            r.fails()
                .stderr_has("no trusted certificate authorities could be loaded")
                .stderr_has("SSL_CERT_FILE");
            assert_eq!(server.connections(), 1, "not retried");
        }
    }
}

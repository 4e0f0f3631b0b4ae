//! Issue 9's journeys: Go from a GOPROXY, verified against the real checksum database
//! (reached through the Go module proxy's /sumdb/ endpoint).

use crate::harness::{ok, receipt, stderr, World};

/// The card's first command, as a new user types it on a machine that cannot reach
/// go.dev: nothing configured, and go1.22.6 comes from the Go module proxy, verified
/// against sum.golang.org; the shim runs it.
#[test]
fn a_new_user_installs_go_with_nothing_configured() {
    use std::net::ToSocketAddrs;
    let w = World::new();
    let out = w.gvr(&["install", "1.22.6", "-v"]);
    ok(&out);
    let err = stderr(&out);
    let r = receipt(&w, "1.22.6");
    assert_eq!(r["anchor"], "sumdb", "{err}");
    assert_eq!(
        r["module_h1"], "h1:bNlzYVDdz3HI0dMPvwv7Fxx9i4gPk9afUcR+fLwLB64=",
        "the hash sum.golang.org records for golang.org/toolchain@v0.0.1-go1.22.6.linux-amd64"
    );
    let go_dev_resolves = ("go.dev", 443).to_socket_addrs().is_ok();
    if !go_dev_resolves {
        assert!(
            err.contains("go.dev cannot be resolved; using the GOPROXY"),
            "{err}"
        );
        assert_eq!(r["source"], "goproxy https://proxy.golang.org,direct");
        assert_eq!(r["toolchain_module"], true);
        assert!(
            err.contains("verified against the checksum database sum.golang.org"),
            "{err}"
        );
    }
    ok(&w.gvr(&["global", "1.22.6"]));
    let version = ok(&w.cmd("go").arg("version").output().unwrap());
    assert_eq!(version.trim(), "go version go1.22.6 linux/amd64");
    // The tree head is stored; a second lookup must be consistent with it.
    assert!(w.gvr_home().join("sumdb/sum.golang.org/latest").is_file());
    ok(&w.gvr(&["install", "1.22.6", "--force", "--source", "goproxy"]));
}

/// A file:// GOPROXY of the real modules, the database reached through the Go module
/// proxy listed after it; the SDK builds a program.
#[test]
fn installs_from_a_file_goproxy_verified_against_the_real_database() {
    let proxy = crate::harness::goproxy_dir();
    let w = World::new();
    let goproxy = format!("file://{},https://proxy.golang.org", proxy.display());
    let out = w
        .cmd(crate::harness::gvr_bin())
        .args(["install", "1.21", "--source", "goproxy"])
        .env("GOPROXY", &goproxy)
        .output()
        .unwrap();
    ok(&out);
    let r = receipt(&w, "1.21.13");
    assert_eq!(r["anchor"], "sumdb", "{}", stderr(&out));
    assert!(r["url"].as_str().unwrap().starts_with("file://"), "{r}");
    let go = w.gvr_home().join("versions/1.21.13/bin/go");
    let proj = w.dir.path().join("hello");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(proj.join("go.mod"), "module example.com/hello\n\ngo 1.21\n").unwrap();
    std::fs::write(
        proj.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from the module\") }\n",
    )
    .unwrap();
    let run = w
        .cmd(&go)
        .args(["run", "."])
        .current_dir(&proj)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert_eq!(ok(&run).trim(), "hello from the module");
    // list-remote reads the proxy's @v/list.
    let listed = w
        .cmd(crate::harness::gvr_bin())
        .args(["list-remote", "--source", "goproxy"])
        .env("GOPROXY", &goproxy)
        .output()
        .unwrap();
    assert_eq!(
        ok(&listed).lines().collect::<Vec<_>>(),
        ["1.24.11", "1.22.10", "1.22.6", "1.21.13"]
    );
}

//! How installing meets selection: `gvr install` with no SPEC installs what this
//! directory selects, installs and uninstalls keep the shims in step, and
//! `gvr local --install` installs before pinning.

use crate::support::cli::{finish, Gvr};
use crate::support::fixtures::{Mirror, MirrorBuilder};
use crate::support::server::Server;

/// A world whose mirror offers 1.22.10, 1.22.6 and 1.21.13 (keep all three alive).
fn world() -> (Gvr, Server, Mirror) {
    let m = MirrorBuilder::new()
        .sdks(&["1.22.10", "1.22.6", "1.21.13"])
        .build();
    let s = Server::start(m.path());
    let mut g = Gvr::new();
    g.mirror(s.url());
    (g, s, m)
}

#[test]
fn install_without_spec_installs_the_version_pinned_here() {
    let (g, _s, _m) = world();
    let proj = g.work().join("proj/sub");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(g.work().join("proj/.go-version"), "go1.22.6\n").unwrap();

    let out = g.run_in(&proj, ["install"]);
    let stderr = &out.stderr;
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("installed go1.22.6"), "{stderr}");
    assert!(g.version_dir("1.22.6").join("bin/go").is_file());

    let out = g.run_in(&proj, ["install"]);
    let stderr = &out.stderr;
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("go1.22.6") && stderr.contains("already installed"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".go-version"),
        "the origin is named: {stderr}"
    );
}

#[test]
fn install_without_spec_and_nothing_selected_says_what_to_do() {
    let (g, _s, _m) = world();
    g.run(["install"]).code(1).stderr_has("gvr install 1.22.6");
}

#[test]
fn install_and_uninstall_keep_the_shims_in_step() {
    let (g, _s, _m) = world();
    let shims = g.gvr_home().join("shims");
    g.run(["install", "1.22.6", "1.21.13"]).ok();
    for name in ["go", "gofmt", "gopls", "go1.22.6", "go1.21.13"] {
        assert!(
            shims.join(name).is_file(),
            "shims/{name} missing: {:?}",
            Gvr::ls(&shims)
        );
    }
    g.run(["uninstall", "1.21.13"]).ok();
    assert!(
        !shims.join("go1.21.13").exists(),
        "stale entry kept: {:?}",
        Gvr::ls(&shims)
    );
    assert!(shims.join("go1.22.6").is_file());
}

#[test]
fn local_install_installs_then_pins() {
    let (g, _s, _m) = world();
    g.run(["local", "1.22"])
        .code(1)
        .stderr_has("gvr install 1.22");
    assert!(
        !g.work().join(".go-version").exists(),
        "nothing pinned on failure"
    );
    g.run(["local", "1.22", "--install"])
        .ok()
        .stderr_has("installed go1.22.10");
    assert_eq!(
        std::fs::read_to_string(g.work().join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    g.run(["global", "1.21.13", "--install"]).ok();
    assert_eq!(
        std::fs::read_to_string(g.gvr_home().join("version")).unwrap(),
        "1.21.13\n"
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let (g, _s, _m) = world();
    // `gvr list-remote | head -1`: the reader goes away after one line.
    let (args, mut child) = g.spawn(["list-remote", "--all"]);
    drop(child.stdout.take());
    let out = finish((args, child));
    let stderr = &out.stderr;
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

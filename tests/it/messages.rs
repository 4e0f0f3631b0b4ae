//! What users read, pinned by snapshots (`tests/it/snapshots/`): errors, `list`, `env`,
//! `current`, install summaries and the status lines of `local`, `rehash` and `cache`.
//! Each snapshot is one command's exit code, stdout and stderr, with temp paths, ports,
//! timings and hashes replaced by placeholders. A wording change shows up here as a
//! diff to review (`cargo insta review`), not as a substring that silently stops
//! matching.

use std::path::Path;

use crate::support::cli::{fast_shim_bin, gvr_bin, shim_bin, Gvr, Run};
use crate::support::fixtures::{Checksums, Dist, MirrorBuilder};
use crate::support::server::Server;

/// Runs `f` with the placeholders for `w` in force.
fn filtered(w: &Gvr, f: impl FnOnce()) {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    let dir_of = |p: &Path| p.parent().unwrap().display().to_string();
    for (path, name) in [
        (w.root().display().to_string(), "[ROOT]"),
        (dir_of(Path::new(gvr_bin())), "[BIN]"),
        (dir_of(&shim_bin()), "[BIN]"),
        (dir_of(&fast_shim_bin()), "[BIN]"),
    ] {
        s.add_filter(&regex_escape(&path), name);
    }
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    // GVR_SET fingerprints and per-workspace cache ids hash temp paths.
    s.add_filter(r"\b[0-9a-f]{16}\b", "[FP]");
    s.add_filter(r"-[0-9a-f]{12}\b", "-[ID]");
    s.add_filter(r"\b\d+(\.\d+)? ?(ms|s)\b", "[TIME]");
    s.add_filter(r"\b\d+(\.\d+)? ?(B|KB|KiB|MB|MiB)\b", "[SIZE]");
    s.bind(f);
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// A run as one snapshot: the command, its exit code and both streams.
fn shown(r: &Run) -> String {
    format!(
        "$ {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        r.args.join(" "),
        r.code,
        r.stdout,
        r.stderr
    )
}

macro_rules! snap {
    ($w:expr, $name:expr, $run:expr) => {{
        let run = $run;
        filtered($w, || insta::assert_snapshot!($name, shown(&run)));
    }};
}

#[test]
fn install_summaries() {
    let m = MirrorBuilder::new().sdks(&["1.22.10", "1.22.6"]).build();
    let s = Server::start(m.path());
    let mut w = Gvr::new();
    w.mirror(s.url());
    snap!(&w, "install", w.run(["install", "1.22.6"]));
    snap!(&w, "install_again", w.run(["install", "1.22.6"]));
    snap!(&w, "install_prefix", w.run(["install", "1.22"]));
    snap!(&w, "uninstall", w.run(["uninstall", "1.22.6"]));
    snap!(&w, "uninstall_missing", w.run(["uninstall", "1.22.6"]));
}

#[test]
fn install_errors() {
    let mut m = MirrorBuilder::new().sdk("1.22.6").build();
    m.add(Dist::sdk("1.21.13").wrong_checksum());
    m.add(Dist::sdk("1.20.14").checksums(Checksums::Neither));
    let s = Server::start(m.path());
    let mut w = Gvr::new();
    w.mirror(s.url());
    snap!(&w, "install_bad_spec", w.run(["install", "1.x"]));
    snap!(&w, "install_unknown", w.run(["install", "1.99.1"]));
    snap!(
        &w,
        "install_checksum_mismatch",
        w.run(["install", "1.21.13"])
    );
    snap!(&w, "install_no_checksum", w.run(["install", "1.20.14"]));
    snap!(
        &w,
        "install_unverified",
        w.run(["install", "1.20.14", "--allow-unverified"])
    );
    let missing = w.root().join("no-such-mirror");
    snap!(
        &w,
        "install_missing_mirror_dir",
        w.run(["install", "1.22.6", "--mirror", missing.to_str().unwrap()])
    );
}

#[test]
fn list_and_current() {
    let w = Gvr::with_versions(&[]);
    snap!(&w, "list_empty", w.run(["list"]));
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    snap!(&w, "list", w.run(["list"]));
    snap!(&w, "list_json", w.run(["list", "--json"]));
    w.write("p/.go-version", "1.21.13\n");
    let p = w.dir("p/sub");
    snap!(&w, "current", w.run_in(&p, ["current"]));
    snap!(&w, "current_json", w.run_in(&p, ["current", "--json"]));
    w.write("q/.go-version", "1.19.1\n");
    snap!(
        &w,
        "current_not_installed",
        w.run_in(&w.dir("q"), ["current"])
    );
    snap!(
        &w,
        "shim_not_installed",
        w.shim("go", &w.dir("q"), ["version"])
    );
    snap!(
        &w,
        "current_nothing_selected",
        w.run_in(&w.dir("r"), ["current"])
    );
}

#[test]
fn env() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("ws/go.work", "go 1.22\n\nuse ./app\n");
    w.write("ws/.go-version", "1.22.10\n");
    w.write("ws/app/go.mod", "module app\n\ngo 1.22\n");
    let app = w.dir("ws/app");
    snap!(&w, "env", w.run_in(&app, ["env"]));
    snap!(&w, "env_shell", w.run_in(&app, ["env", "--shell"]));
    snap!(&w, "env_json", w.run_in(&app, ["env", "--json"]));
}

#[test]
fn local_rehash_and_cache_status_lines() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    let p = w.dir("p");
    snap!(&w, "local_pin", w.run_in(&p, ["local", "1.22"]));
    snap!(&w, "local_update", w.run_in(&p, ["local", "1.21.13"]));
    snap!(&w, "local_show", w.run_in(&p, ["local"]));
    snap!(&w, "local_unset", w.run_in(&p, ["local", "--unset"]));
    snap!(&w, "local_unset_again", w.run_in(&p, ["local", "--unset"]));
    snap!(&w, "rehash", w.run(["rehash"]));
    snap!(&w, "cache_list_empty", w.run(["cache", "list"]));
    snap!(
        &w,
        "cache_prune",
        w.run(["cache", "prune", "--older-than", "0"])
    );
}

#[test]
fn doctor_check_vscode_and_sdk() {
    let w = crate::doctor::healthy();
    let app = w.work().join("a");
    snap!(&w, "doctor_healthy", w.run_in(&app, ["doctor"]));
    let envfile = w.home().join(".config/go/env");
    std::fs::create_dir_all(envfile.parent().unwrap()).unwrap();
    std::fs::write(&envfile, "GOTOOLCHAIN=go1.21.0\n").unwrap();
    w.write("go.work", "go 1.24\n\nuse (\n\t./a\n\t./b\n\t./c\n)\n");
    w.write(".vscode/settings.json", "{\"go.goplsArgs\": []}\n");
    snap!(&w, "doctor_problems", w.run_in(&app, ["doctor"]));
    snap!(&w, "doctor_fix", w.run_in(&app, ["doctor", "--fix"]));
    std::fs::create_dir_all(w.work().join(".git")).unwrap();
    snap!(&w, "check_problems", w.run(["check"]));
    std::fs::remove_file(w.work().join(".vscode/settings.json")).unwrap();
    snap!(&w, "vscode_write", w.run(["vscode"]));
    snap!(&w, "vscode_again", w.run(["vscode"]));
    snap!(&w, "sdk_link", w.run(["sdk", "link"]));
    snap!(&w, "sdk_unlink", w.run(["sdk", "unlink"]));
}

//! What the variables a shim exports do to the tool's children: a `go` run in another
//! directory (the SDK's `bin` is first on PATH, so that is the same SDK's go, not a
//! shim), a nested shim, or another Go. One test per variable.
//!
//! The world: workspace `a` (go.work, pinned to 1.21.13) with module `a/app`, module
//! `b` pinned to 1.22.10, and `c`, a module of its own under no go.work. "Outer" is
//! what a tool started in `a/app` hands to its children.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::support::cli::{Gvr, Run};

fn world() -> Gvr {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("a/go.work", "go 1.21\n\nuse ./app\n");
    w.write("a/.go-version", "1.21.13\n");
    w.write("a/app/go.mod", "module app\n\ngo 1.21\n");
    w.write("b/go.mod", "module b\n\ngo 1.22\n");
    w.write("b/.go-version", "1.22.10\n");
    w.write("c/go.mod", "module c\n\ngo 1.21\n");
    w
}

/// The whole environment a tool started by the shim in `dir` gets, through
/// `gvr exec`, which builds it exactly as the shims do.
fn outer(w: &Gvr, dir: &Path) -> Vec<(String, String)> {
    w.run_in(dir, ["exec", "--", "env"])
        .ok()
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A child of that tool: `program args` in `dir` with exactly `env` (plus `extra`).
fn child(
    dir: &Path,
    env: &[(String, String)],
    extra: &[(&str, &str)],
    program: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
) -> HashMap<String, String> {
    Run::of(
        Command::new(program)
            .current_dir(dir)
            .env_clear()
            .envs(env.iter().cloned())
            .envs(extra.iter().copied())
            .args(args),
    )
    .ok()
    .tool_env()
}

/// The `go` a child finds on the inherited PATH, run in `dir` (a shell that `cd`s).
fn path_go(dir: &Path, env: &[(String, String)]) -> HashMap<String, String> {
    child(dir, env, &[], "sh", &["-c", "exec go build"])
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// GOWORK is not exported: go finds the go.work from the directory it runs in, so a
/// nested go in an unrelated module is not forced into this workspace (with
/// `GOWORK=<a/go.work>`, go refuses to build `c`: "current directory is contained in a
/// module that is not one of the workspace modules listed in go.work").
#[test]
fn gowork_is_left_to_go_so_a_nested_go_elsewhere_finds_its_own() {
    let mut w = world();
    let app = w.dir("a/app");
    let shim = w.shim("go", &app, ["build"]).ok().tool_env();
    assert_eq!(shim["GOWORK"], "<unset>");
    let outer = outer(&w, &app);
    assert_eq!(get(&outer, "GOWORK"), None, "{outer:?}");
    let nested = path_go(&w.dir("c"), &outer);
    assert_eq!(
        (nested["version"].as_str(), nested["GOWORK"].as_str()),
        ("1.21.13", "<unset>")
    );

    // `gvr env` still names the go.work in effect and why.
    let work = w.dir("a").join("go.work");
    w.run_in(&app, ["env"]).ok().stdout_has(&format!(
        "GOWORK not set  # go finds {} itself, as the nearest go.work",
        work.display()
    ));
    let json = w.run_in(&app, ["env", "--json"]).ok().json();
    assert_eq!(json["workspace"]["gowork"], work.display().to_string());
    assert!(!w
        .run_in(&app, ["env", "--shell"])
        .ok()
        .stdout
        .contains("GOWORK"));

    // A GOWORK line in go's env file is the user's: it picks the workspace (and so its
    // cache) and stays go's to read; it is not copied into the environment.
    let team = w.write("team/go.work", "go 1.21\n");
    let go_env = w.home().join(".config/go/env");
    std::fs::create_dir_all(go_env.parent().unwrap()).unwrap();
    std::fs::write(&go_env, format!("GOWORK={}\n", team.display())).unwrap();
    let env = w.shim("go", &app, ["build"]).ok().tool_env();
    assert_eq!(env["GOWORK"], "<unset>");
    assert!(
        Path::new(&env["GOCACHE"])
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("team-"),
        "{env:?}"
    );
    w.run_in(&app, ["env"]).ok().stdout_has(&format!(
        "GOWORK not set  # set by you in go's env file {}",
        go_env.display()
    ));
    std::fs::remove_file(go_env).unwrap();

    // One the user exported is theirs: kept, and their children inherit it as before.
    w.env("GOWORK", "off");
    assert_eq!(
        w.shim("go", &app, ["build"]).ok().tool_env()["GOWORK"],
        "off"
    );
}

/// GOROOT names the SDK whose go runs: the nested go found on PATH is that SDK's; a
/// nested shim, a `go<version>` entry (what Go's own toolchain switch runs) and Go
/// itself when it switches each set their own.
#[test]
fn goroot_follows_whichever_go_runs() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    let a_root = w.version_dir("1.21.13").display().to_string();
    let b_root = w.version_dir("1.22.10").display().to_string();
    assert_eq!(get(&outer, "GOROOT"), Some(a_root.as_str()));
    let nested = path_go(&w.dir("b"), &outer);
    assert_eq!(
        (nested["version"].as_str(), nested["GOROOT"].as_str()),
        ("1.21.13", a_root.as_str())
    );
    let shims = w.shims_dir();
    let shim = child(&w.dir("b"), &outer, &[], shims.join("go"), &["build"]);
    assert_eq!(
        (shim["version"].as_str(), shim["GOROOT"].as_str()),
        ("1.22.10", b_root.as_str())
    );
    let entry = child(
        &w.dir("c"),
        &outer,
        &[],
        shims.join("go1.22.10"),
        &["build"],
    );
    assert_eq!(
        (entry["version"].as_str(), entry["GOROOT"].as_str()),
        ("1.22.10", b_root.as_str())
    );
}

/// PATH starts with the running SDK's `bin`, once: a nested shim elsewhere puts its
/// own first (the outer one stays behind it, never duplicated).
#[test]
fn path_puts_the_running_sdks_bin_first_once() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    let a_bin = w.version_dir("1.21.13").join("bin").display().to_string();
    let b_bin = w.version_dir("1.22.10").join("bin").display().to_string();
    assert_eq!(
        get(&outer, "PATH"),
        Some(format!("{a_bin}:{}", w.path()).as_str())
    );
    let shim = child(
        &w.dir("b"),
        &outer,
        &[],
        w.shims_dir().join("go"),
        &["build"],
    );
    assert_eq!(shim["PATH"], format!("{b_bin}:{a_bin}:{}", w.path()));
    // Back in `a` from `b`'s tool: a's bin first again, still once.
    let b_env: Vec<(String, String)> = shim
        .iter()
        .filter(|(k, _)| k.as_str() == "PATH")
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(outer.iter().filter(|(k, _)| k != "PATH").cloned())
        .collect();
    let back = child(
        &w.dir("a/app"),
        &b_env,
        &[],
        w.shims_dir().join("go"),
        &["build"],
    );
    assert_eq!(back["PATH"], format!("{a_bin}:{b_bin}:{}", w.path()));
}

/// GOTOOLCHAIN=local reaches a nested go elsewhere (it will not switch or download
/// there either; a go.mod needing a newer Go fails with go's own message naming
/// GOTOOLCHAIN=local). A nested shim recomputes it and keeps a value set since.
#[test]
fn gotoolchain_local_is_recomputed_by_a_nested_shim() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    assert_eq!(get(&outer, "GOTOOLCHAIN"), Some("local"));
    assert_eq!(path_go(&w.dir("b"), &outer)["GOTOOLCHAIN"], "local");
    let go = w.shims_dir().join("go");
    let shim = child(&w.dir("b"), &outer, &[], &go, &["build"]);
    assert_eq!(shim["GOTOOLCHAIN"], "local");
    assert!(shim["GVR_SET"].contains("GOTOOLCHAIN:"), "{shim:?}");
    // A go env file setting in effect for the nested call wins over the inherited local.
    let go_env = w.write("b/go-env", "GOTOOLCHAIN=go1.22.10+auto\n");
    let goenv = go_env.display().to_string();
    let shim = child(&w.dir("b"), &outer, &[("GOENV", &goenv)], &go, &["build"]);
    assert_eq!(shim["GOTOOLCHAIN"], "<unset>", "go reads it from {goenv}");
    let shim = child(
        &w.dir("b"),
        &outer,
        &[("GOTOOLCHAIN", "auto")],
        &go,
        &["build"],
    );
    assert_eq!(shim["GOTOOLCHAIN"], "auto");
}

/// GOCACHE is the workspace's: a nested go elsewhere builds into it (go's cache is
/// content-addressed, safe for any module to share); a nested shim in another
/// workspace uses that workspace's, or go's default under GVR_GOCACHE=shared.
#[test]
fn gocache_is_the_workspace_of_the_shim_that_ran() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    let a_cache = get(&outer, "GOCACHE").unwrap().to_string();
    assert!(a_cache.contains("/gocache/a-"), "{a_cache}");
    assert_eq!(path_go(&w.dir("c"), &outer)["GOCACHE"], a_cache);
    let go = w.shims_dir().join("go");
    let b = child(&w.dir("b"), &outer, &[], &go, &["build"]);
    assert!(b["GOCACHE"].contains("/gocache/b-"), "{b:?}");
    let shared = child(
        &w.dir("b"),
        &outer,
        &[("GVR_GOCACHE", "shared")],
        &go,
        &["build"],
    );
    assert_eq!(shared["GOCACHE"], "<unset>");
}

/// GVR_GO_VERSION and GVR_GO_ORIGIN describe the selection of the shim that ran: a
/// nested go elsewhere still reports the outer one (it is that go), a nested shim its own.
#[test]
fn gvr_go_version_and_origin_describe_the_shim_that_ran() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    let a_pin = w.dir("a").join(".go-version");
    assert_eq!(get(&outer, "GVR_GO_VERSION"), Some("1.21.13"));
    let nested = path_go(&w.dir("b"), &outer);
    assert_eq!(
        nested["GVR_GO_ORIGIN"],
        format!("set by {}", a_pin.display())
    );
    let shim = child(
        &w.dir("b"),
        &outer,
        &[],
        w.shims_dir().join("go"),
        &["build"],
    );
    assert_eq!(shim["GVR_GO_VERSION"], "1.22.10");
    assert_eq!(
        shim["GVR_GO_ORIGIN"],
        format!("set by {}", w.dir("b").join(".go-version").display())
    );
}

/// GVR_SHIM_DEPTH counts shims in a row: a nested shim adds one, a go found on PATH
/// (no shim) does not; a loop ends in an error at the limit.
#[test]
fn gvr_shim_depth_counts_nested_shims_only() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    assert_eq!(get(&outer, "GVR_SHIM_DEPTH"), Some("1"));
    assert_eq!(path_go(&w.dir("b"), &outer)["GVR_SHIM_DEPTH"], "1");
    let go = w.shims_dir().join("go");
    assert_eq!(
        child(&w.dir("b"), &outer, &[], &go, &["build"])["GVR_SHIM_DEPTH"],
        "2"
    );
    let looped = Run::of(
        Command::new(&go)
            .current_dir(w.dir("b"))
            .env_clear()
            .envs(outer.iter().cloned())
            .env("GVR_SHIM_DEPTH", "8")
            .arg("build"),
    )
    .fails();
    assert!(looped.stderr.contains("GVR_SHIM_DEPTH=8"), "{looped:?}");
}

/// GVR_SET lists what gvr set, so a nested shim takes none of it for the user's; it is
/// rewritten for what that shim set (here no GOCACHE under GVR_GOCACHE=shared).
#[test]
fn gvr_set_is_rewritten_by_each_shim() {
    let w = world();
    let outer = outer(&w, &w.dir("a/app"));
    let marker = get(&outer, "GVR_SET").unwrap();
    let names = |m: &str| -> Vec<String> {
        m.split(',')
            .map(|e| e.split(':').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(marker), ["GOROOT", "GOTOOLCHAIN", "GOCACHE"]);
    let shim = child(
        &w.dir("b"),
        &outer,
        &[("GVR_GOCACHE", "shared")],
        w.shims_dir().join("go"),
        &["build"],
    );
    assert_eq!(names(&shim["GVR_SET"]), ["GOROOT", "GOTOOLCHAIN"]);
}

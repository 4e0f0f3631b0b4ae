//! The shims themselves: the env they give the tool, exec semantics, guards,
//! `go<version>` entries, rehash and leanness.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{copy_exe, fast_shim_bin, shim_bin, Gvr, Run};
use crate::support::sdk::install_fake;

#[test]
fn rehash_links_the_shim_and_tracks_installed_versions() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    let shims = w.shims_dir();
    let shim_bin = shim_bin();
    let fast_bin = fast_shim_bin();
    let ino = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .ino()
    };
    // On Linux the tools are fronted by the freestanding fast shim, which hands over to
    // the full shim in .full/; the go<version> entries are the full shim.
    for name in ["go", "gofmt", "gopls"] {
        assert_eq!(
            ino(&shims.join(name)),
            ino(&fast_bin),
            "{name} is a hard link to gvr-shim-fast"
        );
        assert_eq!(
            ino(&shims.join(".full").join(name)),
            ino(&shim_bin),
            ".full/{name} is a hard link to gvr-shim"
        );
    }
    for name in ["go1.21.13", "go1.22.10"] {
        assert_eq!(
            ino(&shims.join(name)),
            ino(&shim_bin),
            "{name} is a hard link to gvr-shim"
        );
    }
    assert_eq!(
        std::fs::read_to_string(shims.join(".gvr-bin"))
            .unwrap()
            .trim(),
        Path::new(env!("CARGO_BIN_EXE_gvr")).display().to_string()
    );
    // Run under its own name, the shim explains how it is meant to be used.
    let out = Run::of(w.cmd(&shim_bin, w.root()).arg("version"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("run `gvr rehash`"), "{}", out.stderr);

    // Uninstalled versions lose their entry; new ones gain one.
    std::fs::remove_dir_all(w.gvr_home().join("versions/1.21.13")).unwrap();
    install_fake(&w.gvr_home(), "1.23.4");
    w.rehash();
    assert!(!shims.join("go1.21.13").exists());
    assert!(shims.join("go1.23.4").exists());
}

#[test]
fn the_tool_gets_goroot_path_gotoolchain_gocache_and_origin() {
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("ws/go.work", "go 1.21\n\nuse ./app\n");
    let pin = w.write("ws/.go-version", "1.21.13\n");
    w.write("ws/app/go.mod", "module app\n\ngo 1.21\n");
    let dir = w.dir("ws/app/internal/x");
    let run = w.shim("go", &dir, ["build", "./..."]).ok();
    let env = run.tool_env();
    let out = run.stdout;
    let sdk = w.gvr_home().join("versions/1.21.13");
    assert!(out.contains("args=build ./...\n"), "{out}");
    assert!(out.contains(&format!("cwd={}\n", dir.display())), "{out}");
    assert_eq!(env["GOROOT"], sdk.display().to_string());
    assert_eq!(
        env["PATH"],
        format!("{}:{}", sdk.join("bin").display(), w.path())
    );
    assert_eq!(env["GOTOOLCHAIN"], "local");
    // go finds ws/go.work itself (see shim_env.rs); the cache is the workspace's.
    assert_eq!(env["GOWORK"], "<unset>");
    let gocache = Path::new(&env["GOCACHE"]);
    assert_eq!(gocache.parent().unwrap(), w.cache_dir().join("gocache"));
    assert!(
        gocache
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("ws-"),
        "{}",
        gocache.display()
    );
    assert_eq!(env["GVR_GO_VERSION"], "1.21.13");
    assert_eq!(env["GVR_GO_ORIGIN"], format!("set by {}", pin.display()));
    assert_eq!(
        (env["GOPATH"].as_str(), env["GOBIN"].as_str()),
        ("<unset>", "<unset>")
    );
}

#[test]
fn stale_goroot_is_overridden_and_user_settings_are_respected() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.write("p/go.work", "go 1.22\n");
    w.env("GOROOT", "/usr/lib/go-1.19");
    w.env("GOWORK", "off");
    w.env("GOCACHE", "/tmp/my-gocache");
    w.env("GOTOOLCHAIN", "go1.22.10+auto");
    w.env("GOPATH", "/home/u/go");
    w.env("GOBIN", "/home/u/bin");
    let env = w.shim("go", &w.dir("p"), ["build"]).ok().tool_env();
    assert_eq!(
        env["GOROOT"],
        w.gvr_home().join("versions/1.22.10").display().to_string()
    );
    assert_eq!(env["GOWORK"], "off");
    assert_eq!(env["GOCACHE"], "/tmp/my-gocache");
    assert_eq!(env["GOTOOLCHAIN"], "go1.22.10+auto");
    assert_eq!(env["GOPATH"], "/home/u/go");
    assert_eq!(env["GOBIN"], "/home/u/bin");
}

/// What a tool started in `dir` by `gvr exec` (or a shim) sees: its whole environment.
fn exec_env(w: &Gvr, dir: &Path) -> Vec<(String, String)> {
    w.run_in(dir, ["exec", "--", "env"])
        .ok()
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_nested_shim_recomputes_what_an_outer_gvr_set() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("a/.go-version", "1.21.13\n");
    w.write("a/go.work", "go 1.21\n");
    w.write("b/.go-version", "1.22.10\n");
    w.write("b/go.work", "go 1.22\n");
    w.write("c/.go-version", "1.22.10\n");
    let outer = exec_env(&w, &w.dir("a/sub"));
    // Another workspace's tool (e.g. gopls launched from a process started in `a`) runs
    // the shim by its path, with everything gvr set for `a`.
    let inner = |dir: &str, extra: &[(&str, &str)]| {
        Run::of(
            Command::new(w.gvr_home().join("shims/go"))
                .current_dir(w.dir(dir))
                .env_clear()
                .envs(outer.iter().cloned())
                .envs(extra.iter().copied())
                .arg("build"),
        )
        .ok()
        .tool_env()
    };
    let alone = w.shim("go", &w.dir("b"), ["build"]).ok().tool_env();
    let env = inner("b", &[]);
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(env["GOWORK"], "<unset>");
    assert_eq!(env["GOCACHE"], alone["GOCACHE"]);
    assert_ne!(
        env["GOCACHE"],
        w.shim("go", &w.dir("a"), ["build"]).ok().tool_env()["GOCACHE"]
    );
    assert_eq!(env["GVR_GO_ORIGIN"], alone["GVR_GO_ORIGIN"]);
    // The user's own values still win, even over an outer gvr's marker.
    let env = inner("b", &[("GOWORK", "off"), ("GOCACHE", "/my/cache")]);
    assert_eq!(
        (env["GOWORK"].as_str(), env["GOCACHE"].as_str()),
        ("off", "/my/cache")
    );

    // The same through `eval "$(gvr env --shell)"` in a shell that then changes directory.
    let script = format!(
        "eval \"$({gvr} env --shell)\" && cd {b} && exec {shim} build",
        gvr = env!("CARGO_BIN_EXE_gvr"),
        b = w.dir("b").display(),
        shim = w.gvr_home().join("shims/go").display()
    );
    let env = Run::of(w.cmd("sh", &w.dir("a")).args(["-c", &script]))
        .ok()
        .tool_env();
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(env["GOCACHE"], alone["GOCACHE"]);
}

#[test]
fn go_env_w_settings_count_as_the_users() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    let go_env = w.home().join(".config/go/env");
    std::fs::create_dir_all(go_env.parent().unwrap()).unwrap();
    std::fs::write(&go_env, "GOTOOLCHAIN=go1.22.10+auto\n").unwrap();
    let env = w.shim("go", &w.dir("p"), ["build"]).ok().tool_env();
    assert_eq!(
        env["GOTOOLCHAIN"], "<unset>",
        "go reads it from its env file"
    );
    assert!(env["GOCACHE"].starts_with(&w.cache_dir().display().to_string()));
}

#[test]
fn shared_gocache_policy_leaves_gocache_alone() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.env("GVR_GOCACHE", "shared");
    assert_eq!(
        w.shim("go", &w.dir("p"), ["build"]).ok().tool_env()["GOCACHE"],
        "<unset>"
    );
    assert!(!w.cache_dir().join("gocache").exists());
}

#[test]
fn two_workspaces_get_two_gocaches_and_subdirs_share_one() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("a/.go-version", "1.22.10\n");
    w.write("b/go.mod", "module b\n");
    w.write("b/.go-version", "1.22.10\n");
    let cache = |rel: &str| w.shim("go", &w.dir(rel), ["build"]).ok().tool_env()["GOCACHE"].clone();
    let a = cache("a");
    assert_ne!(a, cache("b"));
    assert_eq!(a, cache("a/deep/er"));
    assert!(
        Path::new(&a).join(".gvr-used").is_file(),
        "the shim marks the cache as used"
    );
}

#[test]
fn gofmt_shim_and_missing_tools() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    let env = w.shim("gofmt", &w.dir("p"), ["-l", "."]).ok().tool_env();
    assert_eq!(
        (env["tool"].as_str(), env["version"].as_str()),
        ("gofmt", "1.22.10")
    );

    // gopls is shimmed, but runs only a pinned build: none exists yet.
    let out = w.shim("gopls", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("gvr gopls install"), "{}", out.stderr);

    // A shim under a name gvr does not manage says so, with the code of a missing command.
    std::fs::hard_link(
        w.gvr_home().join("shims/go"),
        w.gvr_home().join("shims/dlv"),
    )
    .unwrap();
    let out = w.shim("dlv", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        out.stderr.starts_with("gvr: `dlv` is not a tool gvr shims"),
        "{}",
        out.stderr
    );

    std::fs::remove_file(w.gvr_home().join("versions/1.22.10/bin/gofmt")).unwrap();
    let out = w.shim("gofmt", &w.dir("p"), ["-l"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        out.stderr.contains("gofmt is missing from Go 1.22.10"),
        "{}",
        out.stderr
    );
}

/// std's runtime reopens a closed stdin/stdout/stderr on /dev/null; the shim skips that
/// runtime on Linux, so it must do it itself, or the tool starts with fd 1 closed and
/// the first file it opens becomes its stdout.
#[test]
fn closed_std_fds_reach_the_tool_as_dev_null() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    let go = w.gvr_home().join("versions/1.22.10/bin/go");
    std::fs::write(
        &go,
        "#!/bin/sh\nfor fd in 0 1 2; do echo \"fd$fd=$(readlink /proc/$$/fd/$fd || echo closed)\" >&3; done\n",
    )
    .unwrap();
    // fd 3 carries the report; 0, 1 and 2 are closed before the shim runs.
    let out = Run::of(
        w.cmd("sh", &w.dir("p"))
            .args(["-c", "exec 3>&1 <&- >&- 2>&-; go version"]),
    )
    .ok()
    .stdout;
    assert_eq!(out, "fd0=/dev/null\nfd1=/dev/null\nfd2=/dev/null\n");
}

#[test]
fn exit_code_passes_through() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.env("FAKE_EXIT", "3");
    assert_eq!(w.shim("go", &w.dir("p"), ["test"]).status.code(), Some(3));
    assert_eq!(
        w.shim("go", &w.dir("p"), ["version"]).status.code(),
        Some(3)
    );
}

#[test]
fn the_shim_execs_so_sigterm_reaches_the_tool() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.env("FAKE_SLEEP", "20");
    let mut child = w
        .cmd("go", &w.dir("p"))
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // After exec the same pid runs the SDK's go script.
    let script = w
        .gvr_home()
        .join("versions/1.22.10/bin/go")
        .display()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&script) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} never became the tool: {:?}",
            String::from_utf8_lossy(&cmdline)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn recursion_guard_stops_a_shim_that_finds_itself_as_system_go() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    let shim_bin = shim_bin();
    // A hard link of the shim named `go` elsewhere on PATH: the same file, refused at once.
    let linked = w.root().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::fs::hard_link(w.gvr_home().join("shims/go"), linked.join("go")).unwrap();
    w.set_path(&[&linked]);
    let out = w.shim("go", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("is gvr's shim itself"),
        "{}",
        out.stderr
    );

    // A copy is a different file on PATH, but the copy finds itself when it runs.
    let copied = w.root().join("copied");
    std::fs::create_dir_all(&copied).unwrap();
    copy_exe(&shim_bin, &copied.join("go"));
    w.set_path(&[&copied]);
    let out = w.shim("go", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains(&format!(
        "{} is gvr's shim itself",
        copied.join("go").display()
    )));

    // A wrapper script that calls the shim: only the depth counter can see that loop.
    let wrapper = w.root().join("wrapper");
    std::fs::create_dir_all(&wrapper).unwrap();
    std::fs::write(
        wrapper.join("go"),
        format!(
            "#!/bin/sh
exec {} \"$@\"\n",
            w.gvr_home().join("shims/go").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        wrapper.join("go"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    w.set_path(&[&wrapper]);
    let out = w.shim("go", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    let err = out.stderr;
    assert!(
        err.starts_with("gvr: gvr's shims ran each other 8 times in a row (GVR_SHIM_DEPTH=8)"),
        "{err}"
    );

    // A counter already at the limit (a loop through other tools) is refused too.
    w.set_path(&[]);
    w.write("p/.go-version", "1.22.10\n");
    w.env("GVR_SHIM_DEPTH", "8");
    assert_eq!(
        w.shim("go", &w.dir("p"), ["version"]).status.code(),
        Some(1)
    );
}

#[test]
fn versioned_entry_runs_that_sdk_for_gotoolchain() {
    let mut w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.21.13\n");
    // What stock go does for GOTOOLCHAIN=go1.22.10: exec `go1.22.10` from PATH with
    // GOROOT unset (here: stale, and the shim must not care).
    w.env("GOTOOLCHAIN", "go1.22.10");
    w.env("GOROOT", "/nonexistent");
    w.env("GVR_GO_VERSION", "1.21.13");
    w.env("GVR_GO_ORIGIN", "set by an outer shim");
    // Stock go execs the entry with its own argv, so argv[0] is `go`, not `go1.22.10`.
    let entry = w.gvr_home().join("shims/go1.22.10");
    let env = Run::of(w.cmd(&entry, &w.dir("p")).arg0("go").arg("build"))
        .ok()
        .tool_env();
    let sdk = w.gvr_home().join("versions/1.22.10");
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(env["GOROOT"], sdk.display().to_string());
    assert!(env["PATH"].starts_with(&format!("{}:", sdk.join("bin").display())));
    assert_eq!(env["GOTOOLCHAIN"], "go1.22.10");
    // Not the values of whatever ran it (a shim for the 1.21.13 project).
    assert_eq!(env["GVR_GO_VERSION"], "1.22.10");
    assert_eq!(env["GVR_GO_ORIGIN"], "run as go1.22.10");
    assert_eq!(
        w.shim("go1.22.10", &w.dir("p"), ["version"])
            .ok()
            .stdout
            .trim(),
        "go version go1.22.10 linux/amd64"
    );

    std::fs::remove_dir_all(w.gvr_home().join("versions/1.22.10")).unwrap();
    let out = w.shim("go1.22.10", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("Go 1.22.10 is not installed")
            && out.stderr.contains("`gvr install 1.22.10`")
    );
}

#[test]
fn auto_install_runs_gvr_install_then_the_tool() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.21.13\n");
    let _ = pin;
    // Stand in for `gvr install`: a script recorded as the gvr binary that installs a
    // synthetic SDK and logs its arguments.
    let staged = w.root().join("staged");
    std::fs::create_dir_all(&staged).unwrap();
    install_fake(&staged, "1.21.13");
    let fake_gvr = w.root().join("fake-gvr");
    std::fs::write(
        &fake_gvr,
        format!(
            "#!/bin/sh\necho \"fake gvr $*\"\necho \"$*\" > {log}\nmv {src} {dst}\n",
            log = w.root().join("install.log").display(),
            src = staged.join("versions/1.21.13").display(),
            dst = w.gvr_home().join("versions/1.21.13").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &fake_gvr,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(
        w.gvr_home().join("shims/.gvr-bin"),
        format!("{}\n", fake_gvr.display()),
    )
    .unwrap();

    w.env("GVR_AUTO_INSTALL", "1");
    let out = w.shim("go", &w.dir("p"), ["version"]);
    assert_eq!(
        out.stdout, "go version go1.21.13 linux/amd64\n",
        "install output stays off stdout"
    );
    assert!(
        out.stderr.contains("fake gvr install 1.21.13"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(w.root().join("install.log")).unwrap(),
        "install 1.21.13\n"
    );

    // A failing install is reported and the tool does not run.
    std::fs::write(&fake_gvr, "#!/bin/sh\nexit 4\n").unwrap();
    w.write("q/.go-version", "1.23.4\n");
    let out = w.shim("go", &w.dir("q"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("install 1.23.4` failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn shim_dependency_tree_stays_lean() {
    let out = Run::of(
        Command::new(env!("CARGO"))
            .args([
                "tree",
                "--offline",
                "-p",
                "gvr-shim",
                "-e",
                "normal",
                "--prefix",
                "none",
                "--manifest-path",
            ])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")),
    );
    assert!(out.status.success(), "{}", out.stderr);
    let tree = out.stdout;
    assert!(tree.contains("gvr-shim") && tree.contains("sha2"), "{tree}");
    for heavy in [
        "clap",
        "ureq",
        "reqwest",
        "hyper",
        "rustls",
        "native-tls",
        "openssl",
        "indicatif",
        "tokio",
        "async-std",
        "serde_json",
    ] {
        assert!(
            !tree
                .lines()
                .any(|l| l.split_whitespace().next() == Some(heavy)),
            "gvr-shim depends on {heavy}:\n{tree}"
        );
    }
}

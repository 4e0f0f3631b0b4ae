//! Selection through the built binaries: `gvr local/global/current/which/exec/env` and
//! the `go` shim, with synthetic SDKs whose `go` prints the env it received.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{Gvr, Run};
use crate::support::fixtures::MirrorBuilder;
use crate::support::server::Server;

/// What the `go` shim ran here: the version its SDK reports.
fn go_version_here(w: &Gvr, dir: &Path) -> String {
    w.shim("go", dir, ["version"])
        .ok()
        .stdout
        .trim()
        .to_string()
}

fn current(w: &Gvr, dir: &Path) -> String {
    w.run_in(dir, ["current"]).ok().stdout.trim().to_string()
}

#[test]
fn precedence_env_then_file_then_global_then_system() {
    let mut w = Gvr::with_versions(&["1.21.13", "1.22.10", "1.23.4"]);
    let p = w.dir("proj/sub");
    let sys = w.system_go("sys", "1.20.14");
    w.set_path(&[&sys]);

    // 4. system: nothing pinned, no global default.
    assert_eq!(go_version_here(&w, &p), "go version go1.20.14 linux/amd64");
    let sys_go = sys.join("go");
    assert_eq!(
        current(&w, &p),
        format!(
            "system (1.20.14) (the system go at {}: nothing pinned and no global default)",
            sys_go.display()
        )
    );

    // 3. global default.
    w.run_in(&p, ["global", "1.21.13"]).ok();
    assert_eq!(go_version_here(&w, &p), "go version go1.21.13 linux/amd64");
    assert_eq!(
        current(&w, &p),
        format!(
            "1.21.13 (the global default, set by {})",
            w.gvr_home().join("version").display()
        )
    );

    // 2. nearest .go-version.
    let pin = w.write("proj/.go-version", "1.22.10\n");
    assert_eq!(go_version_here(&w, &p), "go version go1.22.10 linux/amd64");
    assert_eq!(
        current(&w, &p),
        format!("1.22.10 (set by {})", pin.display())
    );

    // 1. GVR_VERSION.
    w.env("GVR_VERSION", "1.23.4");
    assert_eq!(go_version_here(&w, &p), "go version go1.23.4 linux/amd64");
    assert_eq!(current(&w, &p), "1.23.4 (set by GVR_VERSION)");
}

#[test]
fn nested_directories_take_the_nearest_pin() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("a/.go-version", "1.22.10\n");
    w.write("a/b/.go-version", "go1.21.13\r\n");
    assert_eq!(
        go_version_here(&w, &w.dir("a/b/c/d")),
        "go version go1.21.13 linux/amd64"
    );
    assert_eq!(
        go_version_here(&w, &w.dir("a/x")),
        "go version go1.22.10 linux/amd64"
    );
}

#[test]
fn tool_versions_counts_and_go_version_wins_in_one_directory() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write(
        "t/.tool-versions",
        "# asdf\nnodejs 20.1.0\ngolang 1.21.13\n",
    );
    assert_eq!(
        go_version_here(&w, &w.dir("t/sub")),
        "go version go1.21.13 linux/amd64"
    );
    w.write("t/.go-version", "\u{feff}1.22.10\n");
    assert_eq!(
        go_version_here(&w, &w.dir("t/sub")),
        "go version go1.22.10 linux/amd64"
    );
}

#[test]
fn prefix_pin_runs_newest_installed_match() {
    let w = Gvr::with_versions(&["1.22.6", "1.22.10", "1.21.13"]);
    w.write("p/.go-version", "1.22\n");
    assert_eq!(
        go_version_here(&w, &w.dir("p")),
        "go version go1.22.10 linux/amd64"
    );
}

#[test]
fn not_installed_error_names_version_origin_and_fix() {
    let w = Gvr::with_versions(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.21.13\n");
    let out = w.shim("go", &w.dir("p"), ["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "gvr: Go 1.21.13 is not installed (set by {}); run `gvr install 1.21.13`\n",
            pin.display()
        )
    );
    assert!(out.stdout.is_empty());
    let out = w.run_in(&w.dir("p"), ["current"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("run `gvr install 1.21.13`"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreadable_pin_in_a_parent_is_named() {
    let w = Gvr::with_versions(&["1.22.10"]);
    let sub = w.dir("p/sub");
    // Root reads any file: /proc/self/mem is a regular file whose read fails for all.
    let pin = w.work().join("p/.go-version");
    std::os::unix::fs::symlink("/proc/self/mem", &pin).unwrap();
    for out in [w.run_in(&sub, ["current"]), w.shim("go", &sub, ["version"])] {
        assert_eq!(out.status.code(), Some(1));
        let err = out.stderr;
        assert!(
            err.contains(&format!("cannot read {}", pin.display())),
            "{err}"
        );
    }
}

#[test]
fn nothing_selected_is_a_clear_error() {
    let w = Gvr::with_versions(&["1.22.10"]);
    let out = w.shim("go", &w.dir("p"), ["version"]);
    assert_eq!(out.status.code(), Some(1));
    let err = out.stderr;
    assert!(
        err.starts_with("gvr: no Go version is selected for"),
        "{err}"
    );
    assert!(err.contains("run `gvr global 1.22.10`"), "{err}");
}

#[test]
fn go_mod_toolchain_line_upgrades_the_global_default() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.run_in(w.root(), ["global", "1.21.13"]).ok();
    let gomod = w.write(
        "m/go.mod",
        "module example.com/m\n\ngo 1.22\n\ntoolchain go1.22.10\n",
    );
    let dir = w.dir("m/pkg");
    let env = w.shim("go", &dir, ["env"]).ok().tool_env();
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(
        env["GVR_GO_ORIGIN"],
        format!(
            "required by the toolchain line of {}; the global default 1.21.13 is older",
            gomod.display()
        )
    );
    // A sibling without go.mod keeps the global default.
    assert_eq!(
        go_version_here(&w, &w.dir("other")),
        "go version go1.21.13 linux/amd64"
    );
}

#[test]
fn go_work_go_line_upgrades_to_newest_installed_at_or_above_it() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.6", "1.22.10"]);
    w.run_in(w.root(), ["global", "1.21.13"]).ok();
    let work = w.write("ws/go.work", "go 1.22.1\n\nuse (\n\t./a\n\t./b\n)\n");
    w.write("ws/a/go.mod", "module a\n\ngo 1.21\n");
    let env = w.shim("go", &w.dir("ws/a"), ["list"]).ok().tool_env();
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(env["GOWORK"], "<unset>", "go finds the go.work itself");
    assert!(env["GVR_GO_ORIGIN"].starts_with(&format!(
        "required by the go line (go 1.22.1) of {}",
        work.display()
    )));
}

#[test]
fn explicit_pin_is_obeyed_even_when_go_mod_wants_newer() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("m/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
    w.write("m/.go-version", "1.21.13\n");
    let env = w.shim("go", &w.dir("m"), ["build"]).ok().tool_env();
    assert_eq!(env["version"], "1.21.13");
    assert_eq!(
        env["GOTOOLCHAIN"], "local",
        "so go reports the mismatch instead of downloading"
    );
}

#[test]
fn local_and_global_write_show_and_unset() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.6", "1.22.10"]);
    let p = w.dir("p");
    let out = w.run_in(&p, ["local", "1.22"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(p.join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    assert!(
        out.stderr.contains("pinned Go 1.22.10 in"),
        "{}",
        out.stderr
    );
    let out = w.run_in(&p, ["local", "1.21.13"]);
    assert!(
        out.stderr.contains("from 1.22.10 to 1.21.13"),
        "{}",
        out.stderr
    );
    assert_eq!(
        w.run_in(&w.dir("p/sub"), ["local"]).ok().stdout,
        format!("1.21.13 (set by {})\n", p.join(".go-version").display())
    );

    let out = w.run_in(&p, ["local", "1.23.4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out
        .stderr
        .contains("Go 1.23.4 is not installed; run `gvr install 1.23.4`, then `gvr local 1.23.4`"));
    let out = w.run_in(&p, ["local", "banana"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(
        out.stderr.contains("`banana` is not a Go version"),
        "{}",
        out.stderr
    );

    w.run_in(&p, ["local", "--unset"]).ok();
    assert!(!p.join(".go-version").exists());
    assert_eq!(w.run_in(&p, ["local"]).status.code(), Some(1));

    w.run_in(&p, ["global", "latest"]).ok();
    assert_eq!(
        std::fs::read_to_string(w.gvr_home().join("version")).unwrap(),
        "1.22.10\n"
    );
    assert_eq!(
        w.run_in(&p, ["global"]).ok().stdout,
        format!(
            "1.22.10 (set by {})\n",
            w.gvr_home().join("version").display()
        )
    );
    w.run_in(&p, ["global", "--unset"]).ok();
    assert!(!w.gvr_home().join("version").exists());
    assert_eq!(w.run_in(&p, ["global"]).status.code(), Some(1));
}

#[test]
fn bad_version_syntax_is_a_usage_error() {
    let w = Gvr::with_versions(&["1.22.10"]);
    let p = w.dir("p");
    for args in [
        &["local", "1.22.x"][..],
        &["global", "go1.22.10-custom"],
        &["exec", "--version", "1.21.1rc", "--", "go", "version"],
    ] {
        let out = w.run_in(&p, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("is not a Go version"), "{}", out.stderr);
    }
    assert!(!p.join(".go-version").exists());
}

#[test]
fn current_json_and_which() {
    let w = Gvr::with_versions(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.22.10\n");
    let json: serde_json::Value =
        serde_json::from_str(&w.run_in(&w.dir("p"), ["current", "--json"]).ok().stdout).unwrap();
    let sdk = w.gvr_home().join("versions/1.22.10");
    assert_eq!(json["version"], "1.22.10");
    assert_eq!(json["origin"], "go-version-file");
    assert_eq!(json["origin_path"], pin.display().to_string());
    assert_eq!(json["reason"], format!("set by {}", pin.display()));
    assert_eq!(json["goroot"], sdk.display().to_string());
    assert_eq!(
        w.run_in(&w.dir("p"), ["which", "gofmt"]).ok().stdout.trim(),
        sdk.join("bin/gofmt").display().to_string()
    );
    let out = w.run_in(&w.dir("p"), ["which", "dlv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("`dlv` is not a tool gvr shims"),
        "{}",
        out.stderr
    );
}

#[test]
fn exec_uses_the_shim_env_and_passes_the_exit_code() {
    let mut w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.21.13\n");
    let p = w.dir("p");
    // A bare `go` resolves through the child's PATH, which starts with the SDK's bin.
    let env = w
        .run_in(&p, ["exec", "--", "go", "build", "./..."])
        .ok()
        .tool_env();
    assert_eq!(env["version"], "1.21.13");
    assert_eq!(
        env["GOROOT"],
        w.gvr_home().join("versions/1.21.13").display().to_string()
    );
    let env = w
        .run_in(&p, ["exec", "--version", "1.22", "go", "test"])
        .ok()
        .tool_env();
    assert_eq!(
        (env["version"].as_str(), env["GVR_GO_ORIGIN"].as_str()),
        ("1.22.10", "set by --version")
    );
    w.env("FAKE_EXIT", "3");
    assert_eq!(
        w.run_in(&p, ["exec", "--", "go", "vet"]).status.code(),
        Some(3)
    );
    let out = w.run_in(&p, ["exec", "--", "no-such-program"]);
    assert_eq!(out.status.code(), Some(127));
}

/// `gvr exec` runs the shims' own steps, GVR_AUTO_INSTALL included.
#[test]
fn exec_installs_a_missing_version_when_auto_install_is_on() {
    let mirror = MirrorBuilder::new().sdks(&["1.21.13"]).build();
    let server = Server::start(mirror.path());
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.env("GVR_MIRROR", server.url());
    w.write("p/.go-version", "1.21.13\n");
    let p = w.dir("p");
    let out = w.run_in(&p, ["exec", "--", "go", "version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("run `gvr install 1.21.13`"),
        "{}",
        out.stderr
    );

    w.env("GVR_AUTO_INSTALL", "1");
    let out = w.run_in(&p, ["exec", "--", "go", "version"]);
    assert!(
        out.clone().ok().stdout.starts_with("go version go1.21.13 "),
        "the install's output stays off stdout: {}",
        out.stdout
    );
    assert!(out.stderr.contains("installed go1.21.13"), "{}", out.stderr);
    assert!(
        w.gvr_home().join("shims/go1.21.13").is_file(),
        "the shims were refreshed"
    );
}

#[test]
fn env_explains_and_prints_shell_lines() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.env("GOCACHE", "/my/cache");
    let text = w.run_in(&w.dir("p"), ["env"]).ok().stdout;
    assert!(text.contains("GOTOOLCHAIN=local  # "), "{text}");
    assert!(
        text.contains("GOCACHE=/my/cache (kept)  # set by you"),
        "{text}"
    );
    let shell = w.run_in(&w.dir("p"), ["env", "--shell"]).ok().stdout;
    assert!(
        shell.contains(&format!(
            "export GOROOT='{}'\n",
            w.gvr_home().join("versions/1.22.10").display()
        )),
        "{shell}"
    );
    assert!(
        !shell.contains("GOCACHE") && !shell.contains("GVR_SHIM_DEPTH"),
        "{shell}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.run_in(&w.dir("p"), ["env", "--json"]).ok().stdout).unwrap();
    assert_eq!(json["version"], "1.22.10");
    let gocache = json["vars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "GOCACHE")
        .unwrap();
    assert_eq!(gocache["action"], "kept");
}

#[test]
fn init_and_completions() {
    let mut w = Gvr::with_shims_on_path();
    let bash = w.run_in(w.root(), ["init", "bash"]).ok().stdout;
    assert!(
        bash.contains(&format!("export PATH='{}'", w.shims_dir().display())),
        "{bash}"
    );
    assert!(bash.contains("gvr completions bash"), "{bash}");
    w.env("SHELL", "/usr/bin/fish");
    assert!(w
        .run_in(w.root(), ["init"])
        .ok()
        .stdout
        .contains("set -gx PATH"));
    w.env("SHELL", "/bin/tcsh");
    assert_eq!(w.run_in(w.root(), ["init"]).status.code(), Some(1));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = w.run_in(w.root(), ["completions", shell]).ok().stdout;
        assert!(
            script.contains("rehash") && script.contains("local"),
            "{shell}"
        );
    }
    // The bash setup is valid bash and puts the shims on PATH once, even sourced twice.
    let out = Run::of(
        Command::new("bash")
            .arg("-c")
            .arg(format!("{bash}\n{bash}\necho \"$PATH\""))
            .env_clear()
            .env("PATH", "/usr/bin:/bin"),
    );
    assert_eq!(
        out.stdout.trim(),
        format!("{}:/usr/bin:/bin", w.shims_dir().display())
    );
}

#[test]
fn cache_list_and_prune() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.run_in(w.root(), ["global", "1.22.10"]).ok();
    w.write("old/go.mod", "module old\n");
    w.write("new/go.mod", "module new\n");
    let old = w.shim("go", &w.dir("old"), ["build"]).ok().tool_env()["GOCACHE"].clone();
    let new = w.shim("go", &w.dir("new"), ["build"]).ok().tool_env()["GOCACHE"].clone();
    std::fs::write(Path::new(&old).join("blob"), vec![1u8; 4096]).unwrap();
    let list = w.run_in(w.root(), ["cache", "list"]).ok().stdout;
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.contains(&w.work().join("old").display().to_string()),
        "{list}"
    );
    assert!(list.contains("KiB"), "{list}");

    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(90 * 86_400);
    for p in [
        Path::new(&old).join(".gvr-used"),
        Path::new(&old).join("blob"),
        PathBuf::from(&old),
    ] {
        std::fs::File::open(&p)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }
    let out = w
        .run_in(w.root(), ["cache", "prune", "--older-than", "60"])
        .ok()
        .stdout;
    assert!(out.contains("removed old-"), "{out}");
    assert!(!Path::new(&old).exists() && Path::new(&new).exists());
    w.run_in(w.root(), ["cache", "prune"]).ok();
    assert!(Path::new(&new).exists());
}

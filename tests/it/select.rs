//! Selection through the built binaries: `gvr local/global/current/which/exec/env` and
//! the `go` shim, with synthetic SDKs whose `go` prints the env it received.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

use crate::support::fixtures::MirrorBuilder;
use crate::support::sdk::{install_fake, write_sdk_tree};
use crate::support::server::Server;

/// A hermetic gvr world: temp HOME, GVR_HOME, GVR_CACHE_DIR and a projects dir.
pub struct World {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub cache: PathBuf,
    pub projects: PathBuf,
    /// PATH for every command: the shims first, then the basics the fake SDK needs.
    pub path: String,
    pub env: Vec<(String, String)>,
}

/// The shim binary the tests run: `GVR_TEST_SHIM` when set (scripts/test points it at
/// the static release build users install), else the debug build next to `gvr`.
pub fn shim_bin() -> PathBuf {
    match std::env::var_os("GVR_TEST_SHIM").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_BIN_EXE_gvr")).with_file_name("gvr-shim"),
    }
}

/// The shim binary is another package's: build it (a no-op when fresh) so tests never
/// run a stale one. `gvr rehash` finds it next to the `gvr` binary; a `GVR_TEST_SHIM`
/// is given to it as `GVR_SHIM_BIN` instead (see [`World::gvr`]).
fn ensure_shim_built() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        if std::env::var_os("GVR_TEST_SHIM").is_some_and(|v| !v.is_empty()) {
            let shim = shim_bin();
            assert!(
                shim.is_file(),
                "GVR_TEST_SHIM={} does not exist",
                shim.display()
            );
            return;
        }
        let gvr = Path::new(env!("CARGO_BIN_EXE_gvr"));
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "--quiet",
            "--offline",
            "-p",
            "gvr-shim",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if gvr
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "release")
        {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("run cargo build -p gvr-shim");
        assert!(
            out.status.success(),
            "building gvr-shim failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            gvr.with_file_name("gvr-shim").is_file(),
            "gvr-shim is not next to gvr"
        );
    });
}

impl World {
    pub fn new() -> World {
        ensure_shim_built();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("gvr");
        let cache = root.join("cache");
        let projects = root.join("projects");
        std::fs::create_dir_all(&projects).unwrap();
        std::fs::create_dir_all(root.join("user")).unwrap();
        let path = format!("{}:/usr/bin:/bin", home.join("shims").display());
        World {
            _tmp: tmp,
            root,
            home,
            cache,
            projects,
            path,
            env: Vec::new(),
        }
    }

    /// Installs synthetic SDKs and refreshes the shims, as `gvr install` would.
    pub fn with_versions(versions: &[&str]) -> World {
        let w = World::new();
        for v in versions {
            install_fake(&w.home, v);
        }
        w.rehash();
        w
    }

    pub fn rehash(&self) {
        let out = self.gvr(&self.root, &["rehash"]);
        assert!(
            out.status.success(),
            "rehash: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.projects.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.projects.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn set(&mut self, k: &str, v: impl Into<String>) {
        self.env.push((k.to_string(), v.into()));
    }

    /// A command with the cleared, hermetic environment.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir)
            .env_clear()
            .env("HOME", self.root.join("user"))
            .env("GVR_HOME", &self.home)
            .env("GVR_CACHE_DIR", &self.cache)
            .env("PATH", &self.path);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn gvr(&self, dir: &Path, args: &[&str]) -> Output {
        let mut c = self.cmd(env!("CARGO_BIN_EXE_gvr"), dir);
        if std::env::var_os("GVR_TEST_SHIM").is_some_and(|v| !v.is_empty()) {
            c.env("GVR_SHIM_BIN", shim_bin());
        }
        c.args(args).output().unwrap()
    }

    /// Runs a shim by name through PATH, as a user's shell would.
    pub fn shim(&self, tool: &str, dir: &Path, args: &[&str]) -> Output {
        self.cmd(tool, dir).args(args).output().unwrap()
    }

    /// A fake non-gvr `go` (with a GOROOT layout) at `<root>/<rel>/go/bin/go`.
    pub fn system_go(&self, rel: &str, version: &str) -> PathBuf {
        let parent = self.root.join(rel);
        write_sdk_tree(&parent, version, "linux", "amd64").join("bin")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// The `env NAME=value` lines and `tool=… version=…` header of the fake tool's output.
pub fn tool_env(out: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for line in out.lines() {
        if let Some(kv) = line.strip_prefix("env ") {
            let (k, v) = kv.split_once('=').unwrap();
            m.insert(k.to_string(), v.to_string());
        } else if line.starts_with("tool=") {
            for part in line.split(' ').take(2) {
                let (k, v) = part.split_once('=').unwrap();
                m.insert(k.to_string(), v.to_string());
            }
        }
    }
    m
}

/// What the `go` shim ran here: the version its SDK reports.
fn go_version_here(w: &World, dir: &Path) -> String {
    ok(w.shim("go", dir, &["version"])).trim().to_string()
}

fn current(w: &World, dir: &Path) -> String {
    ok(w.gvr(dir, &["current"])).trim().to_string()
}

#[test]
fn precedence_env_then_file_then_global_then_system() {
    let mut w = World::with_versions(&["1.21.13", "1.22.10", "1.23.4"]);
    let p = w.dir("proj/sub");
    let sys = w.system_go("sys", "1.20.14");
    w.path = format!(
        "{}:{}:/usr/bin:/bin",
        w.home.join("shims").display(),
        sys.display()
    );

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
    ok(w.gvr(&p, &["global", "1.21.13"]));
    assert_eq!(go_version_here(&w, &p), "go version go1.21.13 linux/amd64");
    assert_eq!(
        current(&w, &p),
        format!(
            "1.21.13 (the global default, set by {})",
            w.home.join("version").display()
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
    w.set("GVR_VERSION", "1.23.4");
    assert_eq!(go_version_here(&w, &p), "go version go1.23.4 linux/amd64");
    assert_eq!(current(&w, &p), "1.23.4 (set by GVR_VERSION)");
}

#[test]
fn nested_directories_take_the_nearest_pin() {
    let w = World::with_versions(&["1.21.13", "1.22.10"]);
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
    let w = World::with_versions(&["1.21.13", "1.22.10"]);
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
    let w = World::with_versions(&["1.22.6", "1.22.10", "1.21.13"]);
    w.write("p/.go-version", "1.22\n");
    assert_eq!(
        go_version_here(&w, &w.dir("p")),
        "go version go1.22.10 linux/amd64"
    );
}

#[test]
fn not_installed_error_names_version_origin_and_fix() {
    let w = World::with_versions(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.21.13\n");
    let out = w.shim("go", &w.dir("p"), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "gvr: Go 1.21.13 is not installed (set by {}); run `gvr install 1.21.13`\n",
            pin.display()
        )
    );
    assert!(stdout(&out).is_empty());
    let out = w.gvr(&w.dir("p"), &["current"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("run `gvr install 1.21.13`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreadable_pin_in_a_parent_is_named() {
    let w = World::with_versions(&["1.22.10"]);
    let sub = w.dir("p/sub");
    // Root reads any file: /proc/self/mem is a regular file whose read fails for all.
    let pin = w.projects.join("p/.go-version");
    std::os::unix::fs::symlink("/proc/self/mem", &pin).unwrap();
    for out in [w.gvr(&sub, &["current"]), w.shim("go", &sub, &["version"])] {
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("cannot read {}", pin.display())),
            "{err}"
        );
    }
}

#[test]
fn nothing_selected_is_a_clear_error() {
    let w = World::with_versions(&["1.22.10"]);
    let out = w.shim("go", &w.dir("p"), &["version"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("gvr: no Go version is selected for"),
        "{err}"
    );
    assert!(err.contains("run `gvr global 1.22.10`"), "{err}");
}

#[test]
fn go_mod_toolchain_line_upgrades_the_global_default() {
    let w = World::with_versions(&["1.21.13", "1.22.10"]);
    ok(w.gvr(&w.root, &["global", "1.21.13"]));
    let gomod = w.write(
        "m/go.mod",
        "module example.com/m\n\ngo 1.22\n\ntoolchain go1.22.10\n",
    );
    let dir = w.dir("m/pkg");
    let out = ok(w.shim("go", &dir, &["env"]));
    let env = tool_env(&out);
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
    let w = World::with_versions(&["1.21.13", "1.22.6", "1.22.10"]);
    ok(w.gvr(&w.root, &["global", "1.21.13"]));
    let work = w.write("ws/go.work", "go 1.22.1\n\nuse (\n\t./a\n\t./b\n)\n");
    w.write("ws/a/go.mod", "module a\n\ngo 1.21\n");
    let env = tool_env(&ok(w.shim("go", &w.dir("ws/a"), &["list"])));
    assert_eq!(env["version"], "1.22.10");
    assert_eq!(env["GOWORK"], work.display().to_string());
    assert!(env["GVR_GO_ORIGIN"].starts_with(&format!(
        "required by the go line (go 1.22.1) of {}",
        work.display()
    )));
}

#[test]
fn explicit_pin_is_obeyed_even_when_go_mod_wants_newer() {
    let w = World::with_versions(&["1.21.13", "1.22.10"]);
    w.write("m/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
    w.write("m/.go-version", "1.21.13\n");
    let env = tool_env(&ok(w.shim("go", &w.dir("m"), &["build"])));
    assert_eq!(env["version"], "1.21.13");
    assert_eq!(
        env["GOTOOLCHAIN"], "local",
        "so go reports the mismatch instead of downloading"
    );
}

#[test]
fn local_and_global_write_show_and_unset() {
    let w = World::with_versions(&["1.21.13", "1.22.6", "1.22.10"]);
    let p = w.dir("p");
    let out = w.gvr(&p, &["local", "1.22"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(p.join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    assert!(
        stderr(&out).contains("Pinned Go 1.22.10 in"),
        "{}",
        stderr(&out)
    );
    let out = w.gvr(&p, &["local", "1.21.13"]);
    assert!(
        stderr(&out).contains("from 1.22.10 to 1.21.13"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        ok(w.gvr(&w.dir("p/sub"), &["local"])),
        format!("1.21.13 (set by {})\n", p.join(".go-version").display())
    );

    let out = w.gvr(&p, &["local", "1.23.4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out)
        .contains("Go 1.23.4 is not installed; run `gvr install 1.23.4`, then `gvr local 1.23.4`"));
    let out = w.gvr(&p, &["local", "banana"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&out).contains("`banana` is not a Go version"),
        "{}",
        stderr(&out)
    );

    ok(w.gvr(&p, &["local", "--unset"]));
    assert!(!p.join(".go-version").exists());
    assert_eq!(w.gvr(&p, &["local"]).status.code(), Some(1));

    ok(w.gvr(&p, &["global", "latest"]));
    assert_eq!(
        std::fs::read_to_string(w.home.join("version")).unwrap(),
        "1.22.10\n"
    );
    assert_eq!(
        ok(w.gvr(&p, &["global"])),
        format!("1.22.10 (set by {})\n", w.home.join("version").display())
    );
    ok(w.gvr(&p, &["global", "--unset"]));
    assert!(!w.home.join("version").exists());
    assert_eq!(w.gvr(&p, &["global"]).status.code(), Some(1));
}

#[test]
fn bad_version_syntax_is_a_usage_error() {
    let w = World::with_versions(&["1.22.10"]);
    let p = w.dir("p");
    for args in [
        &["local", "1.22.x"][..],
        &["global", "go1.22.10-custom"],
        &["exec", "--version", "1.21.1rc", "--", "go", "version"],
    ] {
        let out = w.gvr(&p, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a Go version"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!p.join(".go-version").exists());
}

#[test]
fn current_json_and_which() {
    let w = World::with_versions(&["1.22.10"]);
    let pin = w.write("p/.go-version", "1.22.10\n");
    let json: serde_json::Value =
        serde_json::from_str(&ok(w.gvr(&w.dir("p"), &["current", "--json"]))).unwrap();
    let sdk = w.home.join("versions/1.22.10");
    assert_eq!(json["version"], "1.22.10");
    assert_eq!(json["origin"], "go-version-file");
    assert_eq!(json["origin_path"], pin.display().to_string());
    assert_eq!(json["reason"], format!("set by {}", pin.display()));
    assert_eq!(json["goroot"], sdk.display().to_string());
    assert_eq!(
        ok(w.gvr(&w.dir("p"), &["which", "gofmt"])).trim(),
        sdk.join("bin/gofmt").display().to_string()
    );
    let out = w.gvr(&w.dir("p"), &["which", "dlv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`dlv` is not a tool gvr shims"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exec_uses_the_shim_env_and_passes_the_exit_code() {
    let mut w = World::with_versions(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.21.13\n");
    let p = w.dir("p");
    // A bare `go` resolves through the child's PATH, which starts with the SDK's bin.
    let env = tool_env(&ok(w.gvr(&p, &["exec", "--", "go", "build", "./..."])));
    assert_eq!(env["version"], "1.21.13");
    assert_eq!(
        env["GOROOT"],
        w.home.join("versions/1.21.13").display().to_string()
    );
    let env = tool_env(&ok(w.gvr(&p, &["exec", "--version", "1.22", "go", "test"])));
    assert_eq!(
        (env["version"].as_str(), env["GVR_GO_ORIGIN"].as_str()),
        ("1.22.10", "set by --version")
    );
    w.set("FAKE_EXIT", "3");
    assert_eq!(
        w.gvr(&p, &["exec", "--", "go", "vet"]).status.code(),
        Some(3)
    );
    let out = w.gvr(&p, &["exec", "--", "no-such-program"]);
    assert_eq!(out.status.code(), Some(127));
}

/// `gvr exec` runs the shims' own steps, GVR_AUTO_INSTALL included.
#[test]
fn exec_installs_a_missing_version_when_auto_install_is_on() {
    let mirror = MirrorBuilder::new().sdks(&["1.21.13"]).build();
    let server = Server::start(mirror.path());
    let mut w = World::with_versions(&["1.22.10"]);
    w.set("GVR_MIRROR", server.url());
    w.write("p/.go-version", "1.21.13\n");
    let p = w.dir("p");
    let out = w.gvr(&p, &["exec", "--", "go", "version"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("run `gvr install 1.21.13`"),
        "{}",
        stderr(&out)
    );

    w.set("GVR_AUTO_INSTALL", "1");
    let out = w.gvr(&p, &["exec", "--", "go", "version"]);
    assert!(
        ok(out.clone()).starts_with("go version go1.21.13 "),
        "the install's output stays off stdout: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("installed go1.21.13"),
        "{}",
        stderr(&out)
    );
    assert!(
        w.home.join("shims/go1.21.13").is_file(),
        "the shims were refreshed"
    );
}

#[test]
fn env_explains_and_prints_shell_lines() {
    let mut w = World::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    w.set("GOCACHE", "/my/cache");
    let text = ok(w.gvr(&w.dir("p"), &["env"]));
    assert!(text.contains("GOTOOLCHAIN=local  # "), "{text}");
    assert!(
        text.contains("GOCACHE=/my/cache (kept)  # set by you"),
        "{text}"
    );
    let shell = ok(w.gvr(&w.dir("p"), &["env", "--shell"]));
    assert!(
        shell.contains(&format!(
            "export GOROOT='{}'\n",
            w.home.join("versions/1.22.10").display()
        )),
        "{shell}"
    );
    assert!(
        !shell.contains("GOCACHE") && !shell.contains("GVR_SHIM_DEPTH"),
        "{shell}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(w.gvr(&w.dir("p"), &["env", "--json"]))).unwrap();
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
    let mut w = World::new();
    let bash = ok(w.gvr(&w.root, &["init", "bash"]));
    assert!(
        bash.contains(&format!("export PATH='{}'", w.home.join("shims").display())),
        "{bash}"
    );
    assert!(bash.contains("gvr completions bash"), "{bash}");
    w.set("SHELL", "/usr/bin/fish");
    assert!(ok(w.gvr(&w.root, &["init"])).contains("set -gx PATH"));
    w.set("SHELL", "/bin/tcsh");
    assert_eq!(w.gvr(&w.root, &["init"]).status.code(), Some(1));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = ok(w.gvr(&w.root, &["completions", shell]));
        assert!(
            script.contains("rehash") && script.contains("local"),
            "{shell}"
        );
    }
    // The bash setup is valid bash and puts the shims on PATH once, even sourced twice.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{bash}\n{bash}\necho \"$PATH\""))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        format!("{}:/usr/bin:/bin", w.home.join("shims").display())
    );
}

#[test]
fn cache_list_and_prune() {
    let w = World::with_versions(&["1.22.10"]);
    ok(w.gvr(&w.root, &["global", "1.22.10"]));
    w.write("old/go.mod", "module old\n");
    w.write("new/go.mod", "module new\n");
    let old = tool_env(&ok(w.shim("go", &w.dir("old"), &["build"])))["GOCACHE"].clone();
    let new = tool_env(&ok(w.shim("go", &w.dir("new"), &["build"])))["GOCACHE"].clone();
    std::fs::write(Path::new(&old).join("blob"), vec![1u8; 4096]).unwrap();
    let list = ok(w.gvr(&w.root, &["cache", "list"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.contains(&w.projects.join("old").display().to_string()),
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
    let out = ok(w.gvr(&w.root, &["cache", "prune", "--older-than", "60"]));
    assert!(out.contains("removed old-"), "{out}");
    assert!(!Path::new(&old).exists() && Path::new(&new).exists());
    ok(w.gvr(&w.root, &["cache", "prune"]));
    assert!(Path::new(&new).exists());
}

//! `gvr doctor`: each misconfiguration of the table built in a temp home and workspace,
//! reported under its id with its status and a fix that works (for `--fix`-able ones a
//! second run is clean); a healthy workspace reports no error.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::cli::{Gvr, Run};
use crate::support::fixtures::{sha256_hex, MirrorBuilder};
use crate::support::sdk::install_fake;

const IDS: [&str; 11] = [
    "shims-on-path",
    "selected-installed",
    "goroot",
    "gotoolchain",
    "go-line",
    "gowork",
    "gopls",
    "vscode",
    "goproxy",
    "caches",
    "gvr-home",
];

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A "gopls": a script that answers `version` as gopls does, followed by the Go build
/// info blob a real binary carries (Go 1.18+ format, 16-byte aligned), saying `built_by`
/// built `claims`.
pub fn fake_gopls(claims: &str, built_by: &str) -> Vec<u8> {
    let mut b =
        format!("#!/bin/sh\necho 'golang.org/x/tools/gopls {claims}'\nexit 0\n").into_bytes();
    b.resize(4096, b'\n');
    b.extend_from_slice(b"\xff Go buildinf:");
    b.extend([8, 2]);
    b.resize(4096 + 32, 0);
    varint(built_by.len(), &mut b);
    b.extend(built_by.as_bytes());
    let modinfo = format!(
        "0123456789abcdefpath\tgolang.org/x/tools/gopls\nmod\tgolang.org/x/tools/gopls\t{claims}\th1:x=\n\nfedcba9876543210"
    );
    varint(modinfo.len(), &mut b);
    b.extend(modinfo.as_bytes());
    b
}

pub(crate) fn put_gopls(g: &Gvr, gopls: &str, go: &str, bytes: &[u8]) -> PathBuf {
    let p = g.gvr_home().join(format!("gopls/{gopls}/go{go}/gopls"));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, bytes).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// A synthetic SDK installed as `gvr install` leaves it (with a receipt).
fn installed(g: &Gvr, v: &str) {
    let dir = install_fake(&g.gvr_home(), v);
    fs::create_dir_all(dir.join(".gvr")).unwrap();
    fs::write(dir.join(".gvr/receipt.json"), "{}\n").unwrap();
}

/// A healthy world: go1.24.11 installed and pinned in work/, its gopls built, the shims
/// first on PATH, a go.work workspace of two modules.
pub(crate) fn healthy() -> Gvr {
    let g = Gvr::with_shims_on_path();
    installed(&g, "1.24.11");
    g.rehash();
    g.write(".go-version", "1.24.11\n");
    g.write("go.work", "go 1.24\n\nuse (\n\t./a\n\t./b\n)\n");
    g.write("a/go.mod", "module a\n\ngo 1.24\n");
    g.write("b/go.mod", "module b\n\ngo 1.24\n");
    put_gopls(
        &g,
        "v0.20.0",
        "1.24.11",
        &fake_gopls("v0.20.0", "go1.24.11"),
    );
    g
}

fn doctor_in(g: &Gvr, dir: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["doctor", "--json"];
    args.extend(extra);
    let run = g.run_in(dir, &args);
    let json = run.json();
    (run, json)
}

fn doctor(g: &Gvr) -> (Run, Value) {
    doctor_in(g, &g.work().join("a"), &[])
}

/// The check `id` of a report.
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

#[track_caller]
fn assert_status(report: &Value, id: &str, status: &str) -> String {
    let c = check(report, id);
    assert_eq!(c["status"], status, "{id}: {c:#}");
    c["summary"].as_str().unwrap().to_string()
}

fn fix_of(report: &Value, id: &str) -> String {
    check(report, id)["fix"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[track_caller]
fn assert_all_ok(report: &Value) {
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c["status"], "ok", "{c:#}");
    }
}

#[test]
fn a_healthy_workspace_reports_every_check_ok() {
    let g = healthy();
    let (run, report) = doctor(&g);
    run.ok();
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, IDS);
    assert_all_ok(&report);
    assert_eq!(report["dir"], g.work().join("a").display().to_string());
    assert_eq!(report["selection"]["version"], "1.24.11");
    assert_eq!(report["selection"]["origin_kind"], "go-version-file");
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(c.as_object().unwrap().len(), 4, "{c:#}");
    }
    // Human output: a header and one line per check, no colour off a terminal.
    let human = g.run_in(&g.work().join("a"), ["doctor"]).ok();
    let lines = human.stdout_lines();
    assert_eq!(lines.len(), 1 + IDS.len(), "{human:?}");
    for (line, id) in lines[1..].iter().zip(IDS) {
        assert!(line.starts_with("ok ") && line.contains(id), "{line}");
    }
    assert!(!human.stdout.contains('\x1b'));
}

#[test]
fn shims_behind_another_go_and_the_printed_path_line() {
    let mut g = healthy();
    let other = g.system_go("usr-local", "1.21.0");
    g.set_path(&[]);
    let path = format!("{}:{}", other.display(), g.path());
    g.env("PATH", &path).env("SHELL", "/bin/bash");
    let cmd = |g: &Gvr| {
        Run::of(
            g.command_in(&g.work().join("a"), ["doctor", "--json"])
                .env("PATH", &path),
        )
    };
    let run = cmd(&g).fails();
    let report = run.json();
    let summary = assert_status(&report, "shims-on-path", "error");
    assert!(
        summary.contains(&format!("`go` on PATH is {}/go", other.display())),
        "{summary}"
    );
    let fix = fix_of(&report, "shims-on-path");
    let line = format!("export PATH={}:\"$PATH\"", g.shims_dir().display());
    assert!(fix.contains(&line), "{fix}");
    // The printed line, applied by the user's shell, makes it clean.
    let fixed_path = format!("{}:{path}", g.shims_dir().display());
    let run = Run::of(
        g.command_in(&g.work().join("a"), ["doctor", "--json"])
            .env("PATH", &fixed_path),
    )
    .ok();
    assert_all_ok(&run.json());
}

#[test]
fn shims_dir_not_on_path() {
    let g = healthy();
    let run = Run::of(
        g.command_in(&g.work().join("a"), ["doctor", "--json"])
            .env("PATH", "/usr/bin:/bin"),
    )
    .fails();
    let summary = assert_status(&run.json(), "shims-on-path", "error");
    assert!(summary.contains("is not on PATH"), "{summary}");
}

#[test]
fn missing_shims_are_fixed_by_rehash() {
    let g = healthy();
    fs::remove_file(g.shims_dir().join("gopls")).unwrap();
    let (run, report) = doctor(&g);
    run.fails();
    assert_status(&report, "shims-on-path", "error");
    assert_eq!(fix_of(&report, "shims-on-path"), "gvr rehash");
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(fixed.stderr.contains("fix: gvr rehash"), "{fixed:?}");
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn selected_version_not_installed_is_installed_by_fix() {
    let mut g = healthy();
    let mirror = MirrorBuilder::new().sdk("1.22.6").build();
    g.mirror(mirror.path());
    g.write(".go-version", "1.22.6\n");
    g.write("go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n");
    g.write("a/go.mod", "module a\n\ngo 1.22\n");
    g.write("b/go.mod", "module b\n\ngo 1.22\n");
    // The mirror also has the gopls go1.22.6 pins, which --fix builds once go1.22.6 is in.
    let bin = mirror
        .path()
        .join("gopls/v0.16.2/gopls-v0.16.2-go1.22.6-linux-amd64");
    fs::create_dir_all(bin.parent().unwrap()).unwrap();
    let bytes = fake_gopls("v0.16.2", "go1.22.6");
    fs::write(&bin, &bytes).unwrap();
    fs::write(format!("{}.sha256", bin.display()), sha256_hex(&bytes)).unwrap();
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "selected-installed", "error");
    assert!(
        summary.contains("go1.22.6") && summary.contains(".go-version"),
        "{summary}"
    );
    assert_eq!(fix_of(&report, "selected-installed"), "gvr install 1.22.6");
    assert_eq!(report["selection"]["installed"], false);
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(
        fixed.stderr.contains("fix: gvr install 1.22.6"),
        "{fixed:?}"
    );
    assert!(g.version_dir("1.22.6").join("bin/go").is_file());
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn a_stale_goroot_exported_or_in_go_env_file() {
    let mut g = healthy();
    installed(&g, "1.21.13");
    g.rehash();
    g.env("GOROOT", g.version_dir("1.21.13"));
    let (run, report) = doctor(&g);
    run.ok(); // a warning: the shims override it
    let summary = assert_status(&report, "goroot", "warn");
    assert!(
        summary.contains("1.21.13") && summary.contains("the environment"),
        "{summary}"
    );
    assert!(fix_of(&report, "goroot").contains("unset GOROOT"));
    assert!(
        g.run_in(&g.work().join("a"), ["doctor", "--fail-on", "warn"])
            .code
            == 1
    );
    g.unset("GOROOT");
    assert_all_ok(&doctor(&g).1);

    // In go's env file, pointing at no SDK: an error that --fix removes.
    let envfile = g.home().join(".config/go/env");
    fs::create_dir_all(envfile.parent().unwrap()).unwrap();
    fs::write(&envfile, "GOPRIVATE=example.com\nGOROOT=/opt/go-gone\n").unwrap();
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "goroot", "error");
    assert!(
        summary.contains("/opt/go-gone") && summary.contains(&envfile.display().to_string()),
        "{summary}"
    );
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(
        fixed.stderr.contains("fix: removed `GOROOT=/opt/go-gone`"),
        "{fixed:?}"
    );
    assert_eq!(
        fs::read_to_string(&envfile).unwrap(),
        "GOPRIVATE=example.com\n"
    );
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn a_stale_gotoolchain_in_go_env_file_is_removed_by_fix() {
    let g = healthy();
    let envfile = g.home().join(".config/go/env");
    fs::create_dir_all(envfile.parent().unwrap()).unwrap();
    fs::write(&envfile, "GOTOOLCHAIN=go1.21.0\n").unwrap();
    // The go shim really does hand GOTOOLCHAIN to go from the env file (go reads it).
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gotoolchain", "error");
    assert!(
        summary.contains("GOTOOLCHAIN=go1.21.0")
            && summary.contains("a downloaded go1.21.0")
            && summary.contains("1.24.11"),
        "{summary}"
    );
    assert!(fix_of(&report, "gotoolchain").contains("gvr doctor --fix"));
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(
        fixed.stderr.contains("fix: removed `GOTOOLCHAIN=go1.21.0`"),
        "{fixed:?}"
    );
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn gotoolchain_auto_with_a_newer_go_line() {
    let mut g = healthy();
    g.env("GOTOOLCHAIN", "auto");
    g.write(
        "go.work",
        "go 1.24\n\ntoolchain go1.25.1\n\nuse (\n\t./a\n\t./b\n)\n",
    );
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gotoolchain", "error");
    assert!(
        summary.contains("switch go to a downloaded go1.25.1"),
        "{summary}"
    );
    assert_status(&report, "go-line", "warn");
    g.unset("GOTOOLCHAIN");
    g.write("go.work", "go 1.24\n\nuse (\n\t./a\n\t./b\n)\n");
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn a_go_line_newer_than_the_pin() {
    let g = healthy();
    g.write("go.work", "go 1.25.0\n\nuse (\n\t./a\n\t./b\n)\n");
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "go-line", "error");
    assert!(summary.contains("go.work says `go 1.25.0`"), "{summary}");
    assert_eq!(
        fix_of(&report, "go-line"),
        "gvr install 1.25 && gvr local 1.25 (or lower the line)"
    );
    // With a 1.25 installed, the fix names it; following it makes the check clean.
    installed(&g, "1.25.1");
    g.rehash();
    let report = doctor(&g).1;
    assert_eq!(
        fix_of(&report, "go-line"),
        "gvr local 1.25.1 (or lower the line)"
    );
    g.run_in(&g.work(), ["local", "1.25.1"]).ok();
    put_gopls(&g, "v0.21.1", "1.25.1", &fake_gopls("v0.21.1", "go1.25.1"));
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn go_work_problems_and_gowork_off() {
    let g = healthy();
    g.write("go.work", "go 1.24\n\nuse (\n\t./a\n\t./b\n\t./c\n)\n");
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gowork", "error");
    assert!(
        summary.contains("go.work:6: `use ./c`: the directory does not exist"),
        "{summary}"
    );
    g.write("c/go.mod", "module c\n\ngo 1.24\n");
    assert_all_ok(&doctor(&g).1);

    let envfile = g.home().join(".config/go/env");
    fs::create_dir_all(envfile.parent().unwrap()).unwrap();
    fs::write(&envfile, "GOWORK=off\n").unwrap();
    let report = doctor(&g).1;
    let summary = assert_status(&report, "gowork", "warn");
    assert!(summary.contains("GOWORK=off"), "{summary}");
    g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn a_module_newer_than_the_workspace_go_line() {
    let g = healthy();
    g.write("b/go.mod", "module b\n\ngo 1.24.3\n");
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gowork", "error");
    assert!(
        summary.contains("the module in ./b says `go 1.24.3`"),
        "{summary}"
    );
    assert_eq!(
        fix_of(&report, "gowork"),
        "go work use ./b (raises the go.work go line)"
    );
    // What `go work use ./b` does: the go.work go line follows the module's.
    g.write("go.work", "go 1.24.3\n\nuse (\n\t./a\n\t./b\n)\n");
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn gopls_not_built_is_installed_by_fix_from_the_mirror() {
    let mut g = healthy();
    fs::remove_dir_all(g.gvr_home().join("gopls")).unwrap();
    let mirror = g.root().join("mirror");
    let bin = mirror.join("gopls/v0.20.0/gopls-v0.20.0-go1.24.11-linux-amd64");
    fs::create_dir_all(bin.parent().unwrap()).unwrap();
    let bytes = fake_gopls("v0.20.0", "go1.24.11");
    fs::write(&bin, &bytes).unwrap();
    fs::write(format!("{}.sha256", bin.display()), sha256_hex(&bytes)).unwrap();
    g.mirror(&mirror);
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gopls", "error");
    assert!(
        summary.contains("gopls v0.20.0") && summary.contains("not built for go1.24.11"),
        "{summary}"
    );
    assert_eq!(fix_of(&report, "gopls"), "gvr gopls install v0.20.0");
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(
        fixed.stderr.contains("fix: gvr gopls install v0.20.0"),
        "{fixed:?}"
    );
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn gopls_built_by_a_go_too_old_for_it() {
    let g = healthy();
    put_gopls(&g, "v0.20.0", "1.24.11", &fake_gopls("v0.20.0", "go1.23.4"));
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "gopls", "error");
    assert!(
        summary.contains("was built by go1.23.4, older than the go1.24.2 gopls v0.20.0 needs"),
        "{summary}"
    );
    assert_eq!(
        fix_of(&report, "gopls"),
        "gvr gopls install v0.20.0 --force"
    );
}

#[test]
fn vscode_settings_pointing_away_are_rewritten_by_fix() {
    let g = healthy();
    let settings = g.write(
        ".vscode/settings.json",
        "{\n  // mine\n  \"editor.tabSize\": 4,\n  \"go.alternateTools\": {\"gopls\": \"/home/u/go/bin/gopls\"},\n  \"go.goplsArgs\": [\"-rpc.trace\"],\n}\n",
    );
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "vscode", "error");
    assert!(
        summary.contains("go.alternateTools.gopls is /home/u/go/bin/gopls"),
        "{summary}"
    );
    assert!(
        summary.contains("`go.goplsArgs` is not a vscode-go setting"),
        "{summary}"
    );
    let fix = fix_of(&report, "vscode");
    assert!(
        fix.contains("gvr vscode") && fix.contains("use go.languageServerFlags"),
        "{fix}"
    );
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(fixed.stderr.contains("fix: gvr vscode"), "{fixed:?}");
    let text = fs::read_to_string(&settings).unwrap();
    assert!(
        text.contains("// mine") && text.contains("\"editor.tabSize\": 4"),
        "{text}"
    );
    // The made-up key is the user's to delete (doctor printed how); then all is clean.
    let report = doctor(&g).1;
    assert_status(&report, "vscode", "warn");
    fs::write(
        &settings,
        text.replace("  \"go.goplsArgs\": [\"-rpc.trace\"],\n", ""),
    )
    .unwrap();
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn goproxy_off_and_gosumdb_off() {
    let mut g = healthy();
    g.env("GOPROXY", "off").env("GOSUMDB", "off");
    let (run, report) = doctor(&g);
    run.ok();
    let summary = assert_status(&report, "goproxy", "warn");
    assert!(
        summary.contains("GOPROXY=off (from the environment)") && summary.contains("GOSUMDB=off"),
        "{summary}"
    );
    assert!(fix_of(&report, "goproxy").contains("unset GOPROXY"));
    g.unset("GOPROXY").unset("GOSUMDB");
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn a_module_cache_that_cannot_be_created() {
    let mut g = healthy();
    let blocker = g.write("blocker", "a file, not a directory");
    g.env("GOMODCACHE", blocker.join("mod"));
    let (run, report) = doctor(&g);
    run.fails();
    let summary = assert_status(&report, "caches", "error");
    assert!(
        summary.contains("GOMODCACHE") && summary.contains("is not a directory"),
        "{summary}"
    );
    g.env("GOMODCACHE", g.root().join("modcache"));
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn gvr_home_leftovers_and_stale_shims_are_fixed() {
    let g = healthy();
    fs::create_dir_all(g.tmp_dir().join("install-999999-abc")).unwrap();
    fs::remove_file(g.shims_dir().join("go1.24.11")).unwrap();
    let (run, report) = doctor(&g);
    run.ok();
    let summary = assert_status(&report, "gvr-home", "warn");
    assert!(
        summary.contains("install-999999-abc") && summary.contains("go1.24.11 is missing"),
        "{summary}"
    );
    let fixed = g.run_in(&g.work().join("a"), ["doctor", "--fix"]).ok();
    assert!(fixed.stderr.contains("fix: gvr rehash"), "{fixed:?}");
    assert!(!g.tmp_dir().join("install-999999-abc").exists());
    assert_all_ok(&doctor(&g).1);
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let g = healthy();
    let script = |no_color: Option<&str>| {
        let gvr = crate::support::cli::gvr_bin();
        let mut cmd = g.program("script", ["-qec", &format!("{gvr} doctor"), "/dev/null"]);
        cmd.current_dir(g.work().join("a"));
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        Run::of(&mut cmd)
    };
    let coloured = script(None);
    assert!(coloured.stdout.contains("\x1b[32mok"), "{coloured:?}");
    let plain = script(Some("1"));
    assert!(
        plain.stdout.contains("ok ") && !plain.stdout.contains('\x1b'),
        "{plain:?}"
    );
}

#[test]
fn network_asks_the_module_proxy() {
    use crate::support::server::{Fault, Server};
    let mut g = healthy();
    let proxy = g.root().join("proxy");
    fs::create_dir_all(proxy.join("golang.org/x/mod/@v")).unwrap();
    fs::write(proxy.join("golang.org/x/mod/@v/list"), "v0.26.0\n").unwrap();
    let server = Server::start(&proxy);
    g.env("GOPROXY", format!("{},direct", server.url()));
    let (run, report) = doctor_in(&g, &g.work().join("a"), &["--network"]);
    run.ok();
    assert_status(&report, "goproxy", "ok");
    assert_eq!(server.gets("/golang.org/x/mod/@v/list"), 1);
    // Without --network nothing is asked.
    doctor(&g).0.ok();
    assert_eq!(server.gets("/golang.org/x/mod/@v/list"), 1);
    server.set_fault("/golang.org/x/mod/@v/list", Fault::new().fail_5xx(503, 10));
    let (run, report) = doctor_in(&g, &g.work().join("a"), &["--network"]);
    run.ok();
    let summary = assert_status(&report, "goproxy", "warn");
    assert!(
        summary.contains("the module proxy does not answer"),
        "{summary}"
    );
}

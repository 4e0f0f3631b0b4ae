//! The freestanding fast shim (`gvr-shim-fast`, Linux): it replays the full shim's
//! recorded decision only while every input is unchanged, and hands over otherwise.

#![cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use std::path::{Path, PathBuf};

use crate::support::cli::{Gvr, Run};
use crate::support::sdk::install_fake;

fn decisions(w: &Gvr) -> Vec<PathBuf> {
    match std::fs::read_dir(w.gvr_home().join("shims/.decisions")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Lets the files a test just wrote age past `gvr::decision::RACY`: fresher inputs make
/// no record.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(120));
}

/// Runs `go` through the shims and returns (version the tool reports, its env).
fn go_here(w: &Gvr, dir: &Path) -> (String, std::collections::HashMap<String, String>) {
    let env = w.shim("go", dir, ["env"]).ok().tool_env();
    (env["version"].clone(), env)
}

/// The record's inode: the full shim rewrites the record (a new file, renamed into
/// place) every time it runs, a replay leaves it alone.
fn record_id(w: &Gvr) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let records = decisions(w);
    assert_eq!(records.len(), 1, "{records:?}");
    std::fs::metadata(&records[0]).unwrap().ino()
}

#[test]
fn a_recorded_decision_is_replayed_with_the_same_environment() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p/a/b");
    assert!(decisions(&w).is_empty());
    settle();
    let (v, first) = go_here(&w, &dir);
    assert_eq!(v, "1.21.13");
    let recorded = record_id(&w);

    let (v, replayed) = go_here(&w, &dir);
    assert_eq!(v, "1.21.13");
    assert_eq!(
        record_id(&w),
        recorded,
        "the second call was replayed, not decided again"
    );
    // The very same environment as the full shim's (PATH, GOROOT, GOCACHE, origin …).
    assert_eq!(replayed, first);
}

#[test]
fn a_changed_pin_is_not_replayed() {
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    let pin = w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p/a");
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
    let recorded = record_id(&w);
    // Same size, rewritten in the same second: the signature still tells.
    std::fs::write(&pin, "1.22.10\n").unwrap();
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.22.10");
    assert_ne!(record_id(&w), recorded, "decided again");
    // A pin appearing in a nearer directory counts too.
    w.write("p/a/.go-version", "1.21.13\n");
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
}

#[test]
fn a_changed_environment_or_install_hands_over() {
    let mut w = Gvr::with_versions(&["1.22.6"]);
    w.write("p/.go-version", "1.22\n");
    let dir = w.dir("p");
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.22.6");
    // A newer 1.22.x installed: the prefix pin must pick it up.
    install_fake(&w.gvr_home(), "1.22.10");
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.22.10");
    // GVR_VERSION is an input of the decision.
    w.env("GVR_VERSION", "1.22.6");
    assert_eq!(go_here(&w, &dir).0, "1.22.6");
}

#[test]
fn an_expired_or_damaged_record_hands_over() {
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p");
    settle();
    go_here(&w, &dir);
    let record = decisions(&w).pop().unwrap();
    let text = std::fs::read_to_string(&record).unwrap();
    let expired: String = text
        .lines()
        .map(|l| {
            if l.starts_with("expires ") {
                "expires 1".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&record, expired + "\n").unwrap();
    let damaged = record_id(&w);
    w.shim("go", &dir, ["version"]).ok();
    assert_ne!(record_id(&w), damaged, "an expired record is decided again");

    // Cut short (no `end` line): not replayed, though every line it has still holds.
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.trim_end().trim_end_matches("end")).unwrap();
    let damaged = record_id(&w);
    w.shim("go", &dir, ["version"]).ok();
    assert_ne!(record_id(&w), damaged, "a truncated record is not trusted");

    std::fs::write(
        &record,
        "gvr-shim-decision 2\nexec /bin/false\nbogus line\n",
    )
    .unwrap();
    let damaged = record_id(&w);
    w.shim("go", &dir, ["version"]).ok();
    assert_ne!(record_id(&w), damaged, "a damaged record is not trusted");

    // Without the full shim to hand over to (and no record), the fast shim says how to
    // repair it.
    std::fs::remove_dir_all(w.gvr_home().join("shims/.full")).unwrap();
    std::fs::remove_file(&record).unwrap();
    let out = w.shim("go", &dir, ["version"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(out.stderr.contains("run `gvr rehash`"), "{}", out.stderr);
}

#[test]
fn the_fast_shim_links_no_c_library() {
    let fast = crate::support::cli::fast_shim_bin();
    let bytes = std::fs::read(&fast).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    for needle in [&b"ld-linux"[..], b"libc.so", b"GLIBC_"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} mentions {}",
            fast.display(),
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn decisions_that_rest_on_a_system_go_are_not_recorded() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    let sys = w.system_go("sys", "1.20.14");
    w.set_path(&[&sys]);
    let plain = w.dir("plain");
    settle();
    assert_eq!(go_here(&w, &plain).0, "1.20.14");
    // A go.mod raises the system default to an installed SDK: still PATH-dependent.
    w.write("raised/go.mod", "module m\n\ngo 1.22\n");
    let raised = w.dir("raised");
    settle();
    assert_eq!(go_here(&w, &raised).0, "1.22.10");
    assert!(decisions(&w).is_empty(), "{:?}", decisions(&w));
}

#[test]
fn a_replayed_call_starts_the_tool_like_the_full_shim() {
    let w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    let dir = w.dir("p");
    let go = w.gvr_home().join("versions/1.22.10/bin/go");
    // Reports its standard descriptors, then (as grep, by exec: a shell blocks signals
    // around its own forks) the blocked signals and SIGPIPE's disposition it was given.
    std::fs::write(
        &go,
        "#!/bin/sh\nfor fd in 0 1 2; do echo \"fd$fd=$(readlink /proc/$$/fd/$fd || echo closed)\" >&3; done\n\
         exec grep -E '^(SigBlk|SigIgn)' /proc/self/status >&3\n",
    )
    .unwrap();
    settle();
    // First call decides and records, the second replays: both start the tool alike,
    // even from a caller with closed descriptors, blocked signals and SIGPIPE ignored.
    let run = || {
        Run::of(
            w.cmd("bash", &dir)
                .args(["-c", "trap '' PIPE; exec 3>&1 <&- >&- 2>&-; go version"]),
        )
        .ok()
        .stdout
    };
    let decided = run();
    let recorded = record_id(&w);
    let replayed = run();
    assert_eq!(record_id(&w), recorded, "the second call was replayed");
    assert_eq!(replayed, decided);
    assert!(
        decided.starts_with("fd0=/dev/null\nfd1=/dev/null\nfd2=/dev/null\n"),
        "{decided}"
    );
    assert!(decided.contains("SigBlk:\t0000000000000000"), "{decided}");
    // SIGPIPE (bit 13) is not ignored.
    let ign = decided.lines().find(|l| l.starts_with("SigIgn:")).unwrap();
    let mask = u64::from_str_radix(ign.trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_eq!(mask & (1 << 12), 0, "{decided}");
}

/// What the full shim read only on some paths (the `go env -w` file, GVR_GOCACHE) is an
/// input of its record like everything else: there is no list of inputs to forget one in.
#[test]
fn inputs_read_on_the_way_are_inputs_of_the_record() {
    let mut w = Gvr::with_versions(&["1.22.10"]);
    w.write("p/.go-version", "1.22.10\n");
    let goenv = w.write("config/go/env", "");
    w.env("GOENV", &goenv);
    let dir = w.dir("p");
    settle();
    assert_eq!(go_here(&w, &dir).1["GOTOOLCHAIN"], "local");
    let recorded = record_id(&w);
    assert_eq!(go_here(&w, &dir).1["GOTOOLCHAIN"], "local");
    assert_eq!(record_id(&w), recorded, "replayed");

    // `go env -w GOTOOLCHAIN=auto` rewrites the file the decision read.
    std::fs::write(&goenv, "GOTOOLCHAIN=auto\n").unwrap();
    settle();
    assert_eq!(go_here(&w, &dir).1["GOTOOLCHAIN"], "<unset>");
    assert_ne!(record_id(&w), recorded, "decided again");

    let (_, env) = go_here(&w, &dir);
    assert!(env["GOCACHE"].contains("/gocache/"), "{env:?}");
    w.env("GVR_GOCACHE", "shared");
    assert_eq!(go_here(&w, &dir).1["GOCACHE"], "<unset>");
}

/// Whether this process may mount (root): the tests below mount a coarse-timestamp
/// filesystem or hide /proc. Anything else fails loudly rather than passing vacuously,
/// unless `GVR_TEST_NO_MOUNT=1` says the run knowingly goes without them.
fn can_mount(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    if std::env::var_os("GVR_TEST_NO_MOUNT").is_some_and(|v| v == "1") {
        eprintln!("{test}: skipped (GVR_TEST_NO_MOUNT=1)");
        return false;
    }
    panic!("{test} needs root (a loop mount or a mount namespace); set GVR_TEST_NO_MOUNT=1 to skip it knowingly");
}

/// An ext4 filesystem with 128-byte inodes, loop-mounted at `<dir>/coarse`: its file
/// times have whole seconds only, like vfat, some NFS/FUSE mounts and small-inode ext4.
struct CoarseFs {
    mount: PathBuf,
}

impl CoarseFs {
    fn new(dir: &Path) -> CoarseFs {
        let image = dir.join("coarse.img");
        let mount = dir.join("coarse");
        std::fs::create_dir_all(&mount).unwrap();
        let f = std::fs::File::create(&image).unwrap();
        f.set_len(8 << 20).unwrap();
        for cmd in [
            vec![
                "mkfs.ext4",
                "-q",
                "-F",
                "-I",
                "128",
                image.to_str().unwrap(),
            ],
            vec![
                "mount",
                "-o",
                "loop",
                image.to_str().unwrap(),
                mount.to_str().unwrap(),
            ],
        ] {
            let out = std::process::Command::new(cmd[0])
                .args(&cmd[1..])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        CoarseFs { mount }
    }
}

impl Drop for CoarseFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.mount)
            .status();
    }
}

/// Sleeps until just after the next whole second.
fn start_of_a_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let rest = 1_000_000_000 - now.subsec_nanos() as u64;
    std::thread::sleep(std::time::Duration::from_nanos(rest + 20_000_000));
}

/// Two same-size in-place edits of `.go-version` within one second leave the same
/// signature on a filesystem with whole-second times: a decision recorded between them
/// must not be replayed after the second (a time with zero nanoseconds is taken as
/// coarse, and a file changed within two seconds of the decision makes no record).
#[test]
fn coarse_timestamps_do_not_hide_a_second_edit_in_the_same_second() {
    if !can_mount("coarse_timestamps_do_not_hide_a_second_edit_in_the_same_second") {
        return;
    }
    let w = Gvr::with_versions(&["1.21.13", "1.22.10"]);
    let fs = CoarseFs::new(w.root());
    let dir = fs.mount.join("p");
    std::fs::create_dir_all(&dir).unwrap();
    let pin = dir.join(".go-version");
    start_of_a_second();
    std::fs::write(&pin, "1.21.13\n").unwrap();
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
    std::fs::write(&pin, "1.22.10\n").unwrap();
    let second = go_here(&w, &dir).0;
    assert_eq!(second, "1.22.10", "the old decision was replayed");
    // Once the file is older than the granularity, decisions are recorded again.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(go_here(&w, &dir).0, "1.22.10");
    let recorded = record_id(&w);
    assert_eq!(go_here(&w, &dir).0, "1.22.10");
    assert_eq!(record_id(&w), recorded, "replayed");
}

/// The one record a test made, as text, and a way to put an edited one in its place.
fn record_text(w: &Gvr) -> (PathBuf, String) {
    let path = decisions(w).pop().expect("a record");
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// Records are written `0644` whatever the umask, and a record another user could have
/// written (group/other-writable, or owned by someone else) is not replayed.
#[test]
fn only_a_record_the_caller_alone_could_write_is_replayed() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p");
    settle();
    let run = || {
        Run::of(w.cmd("sh", &dir).args(["-c", "umask 002; exec go env"]))
            .ok()
            .tool_env()
    };
    assert_eq!(run()["version"], "1.21.13");
    let (record, _) = record_text(&w);
    let mode = std::fs::metadata(&record).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o644, "record mode {mode:o} under umask 002");
    let recorded = record_id(&w);
    run();
    assert_eq!(record_id(&w), recorded, "replayed");

    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o664)).unwrap();
    let writable = record_id(&w);
    run();
    assert_ne!(
        record_id(&w),
        writable,
        "a group-writable record is not replayed"
    );

    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let (record, _) = record_text(&w);
        std::os::unix::fs::chown(&record, Some(65534), None).unwrap();
        let foreign = record_id(&w);
        run();
        assert_ne!(
            record_id(&w),
            foreign,
            "another user's record is not replayed"
        );
    }
}

/// A record whose `exec` leaves gvr's home, or whose `exec` line is malformed, is not
/// replayed: the full shim decides (and the program it names never runs).
#[test]
fn a_record_that_execs_outside_gvrs_home_or_is_malformed_is_not_replayed() {
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p");
    settle();
    let version = || w.shim("go", &dir, ["version"]).ok().stdout;
    assert_eq!(version(), "go version go1.21.13 linux/amd64\n");
    let (record, text) = record_text(&w);
    let elsewhere = w.write("evil/go", "#!/bin/sh\necho HIJACKED\n");
    std::fs::set_permissions(
        &elsewhere,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let edit = |f: &dyn Fn(&str) -> Option<String>| {
        let edited: String = text.lines().filter_map(f).map(|l| l + "\n").collect();
        std::fs::write(&record, edited).unwrap();
    };
    edit(&|l| {
        Some(match l.strip_prefix("exec ") {
            Some(_) => format!("exec {}", elsewhere.display()),
            None => l.to_string(),
        })
    });
    assert_eq!(
        version(),
        "go version go1.21.13 linux/amd64\n",
        "exec outside the home"
    );

    // `exec` without its space: the program would be read from the next line (here
    // `end`, a name relative to the caller's directory).
    let end = w.write("p/end", "#!/bin/sh\necho HIJACKED\n");
    std::fs::set_permissions(&end, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    edit(&|l| {
        if l.starts_with("exec ") {
            Some("exec".into())
        } else if l.starts_with("set ") || l.starts_with("unset ") {
            None
        } else {
            Some(l.to_string())
        }
    });
    assert_eq!(
        version(),
        "go version go1.21.13 linux/amd64\n",
        "malformed exec"
    );
}

/// Runs `script` in `dir` with /proc hidden (an empty tmpfs over it, in a private mount
/// namespace), as in chroots and some sandboxes.
fn without_proc(w: &Gvr, dir: &Path, script: &str) -> Run {
    Run::of(w.cmd("unshare", dir).args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &format!("mount -t tmpfs none /proc && {script}"),
    ]))
}

/// Without /proc the fast shim finds itself through the kernel's AT_EXECFN and still
/// replays a record, or hands over to the full shim, instead of failing.
#[test]
fn without_proc_the_fast_shim_still_replays_or_hands_over() {
    if !can_mount("without_proc_the_fast_shim_still_replays_or_hands_over") {
        return;
    }
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p");
    settle();
    let go = w.shims_dir().join("go");
    // No record yet: handed over to the full shim.
    let out = without_proc(&w, &dir, &format!("exec {} version", go.display())).ok();
    assert_eq!(out.stdout, "go version go1.21.13 linux/amd64\n");
    // Recorded (with /proc), then replayed without it.
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
    let recorded = record_id(&w);
    let out = without_proc(&w, &dir, &format!("exec {} env", go.display())).ok();
    assert_eq!(out.tool_env()["version"], "1.21.13");
    assert_eq!(record_id(&w), recorded, "replayed");
    // Run by a relative path too (`<root>/work/p` → `<root>/gvr/shims/go`).
    let out = without_proc(&w, &dir, "exec ../../gvr/shims/go version").ok();
    assert_eq!(out.stdout, "go version go1.21.13 linux/amd64\n");
}

/// `gvr rehash` replacing the full shim invalidates a record the old one writes late
/// (a call that was already running): the record names the full shim that wrote it.
#[test]
fn a_record_from_a_replaced_full_shim_is_not_replayed() {
    let w = Gvr::with_versions(&["1.21.13"]);
    w.write("p/.go-version", "1.21.13\n");
    let dir = w.dir("p");
    settle();
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
    let (record, late) = record_text(&w);

    let new_shim = w.root().join("new/gvr-shim");
    std::fs::create_dir_all(new_shim.parent().unwrap()).unwrap();
    crate::support::cli::copy_exe(&crate::support::cli::shim_bin(), &new_shim);
    Run::of(w.command(["rehash"]).env("GVR_SHIM_BIN", &new_shim)).ok();
    // The old full shim, still running, writes its record after the rehash.
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    std::fs::write(&record, &late).unwrap();
    settle();
    let stale = record_id(&w);
    assert_eq!(go_here(&w, &dir).0, "1.21.13");
    assert_ne!(
        record_id(&w),
        stale,
        "the old full shim's record was replayed"
    );
}

//! Concurrent installs, locks, and interruption (kill -9) recovery.

use super::*;

#[test]
fn eight_concurrent_installs_end_with_one_copy() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(8 * 1024, Duration::from_millis(10)),
    );
    let g = world(&s);
    g.run(["list-remote"]).ok(); // warm the index so all eight race on the archive
    let children: Vec<_> = (0..8).map(|_| g.spawn(["install", "1.22.6"])).collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
    }
    // One installs; the others re-check after taking the lock and find it installed.
    let fresh = runs
        .iter()
        .filter(|r| r.stderr.contains("installed go1.22.6"))
        .count();
    let already = runs
        .iter()
        .filter(|r| r.stderr.contains("go1.22.6 is already installed"))
        .count();
    assert_eq!((fresh, already), (1, 7), "{runs:?}");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.22.6"]);
    assert_installed(&g, "1.22.6");
    assert_tmp_clean(&g);
    assert_eq!(
        s.gets(&path),
        1,
        "the lock holder downloads; the others find it installed:\n{}",
        s.log_text()
    );
}

#[test]
fn second_install_waits_and_says_so() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    // About 1.6 s for the whole body.
    s.set_fault(
        &path,
        Fault::new().slow(4 * 1024, Duration::from_millis(100)),
    );
    let g = world(&s);
    let first = g.spawn(["install", "1.22.6"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.gets(&path) == 0 {
        assert!(
            Instant::now() < deadline,
            "first install never fetched the archive:\n{}",
            s.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = g.run(["install", "1.22.6"]).ok().stderr_has("waiting");
    let first = finish(first).ok().stderr_has("installed go1.22.6");
    assert!(
        second.stderr.contains("go1.22.6 is already installed")
            || second.stderr.contains("installed go1.22.6"),
        "{second:?}\n{first:?}"
    );
    assert_installed(&g, "1.22.6");
    assert_eq!(s.gets(&path), 1, "{}", s.log_text());
}

#[test]
fn locks_are_per_version() {
    // A slow install of 1.22.6 does not hold up 1.21.13.
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(4 * 1024, Duration::from_millis(100)),
    );
    let g = world(&s);
    let slow = g.spawn(["install", "1.22.6"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.gets(&path) == 0 {
        assert!(Instant::now() < deadline, "{}", s.log_text());
        std::thread::sleep(Duration::from_millis(10));
    }
    let other = g
        .run(["install", "1.21.13"])
        .ok()
        .stderr_has("installed go1.21.13");
    assert!(!other.stderr.contains("waiting"), "{other:?}");
    assert!(
        g.version_dir("1.21.13").is_dir() && !g.version_dir("1.22.6").exists(),
        "1.21.13 should finish first"
    );
    finish(slow).ok();
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.21.13", "1.22.6"]);
}

#[test]
fn gvr_home_is_created_on_first_install() {
    let m = std_mirror();
    let mut g = Gvr::new();
    let fresh = g.root().join("not/yet/there");
    g.env("GVR_HOME", &fresh);
    g.run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
        .ok();
    assert!(
        fresh.join("versions/1.22.6/.gvr/receipt.json").is_file(),
        "{:?}",
        tree(&fresh)
    );
}

/// Every entry of `versions/` is a complete SDK with a receipt.
/// A kill after the commit rename but before the stage's lock file goes leaves only that
/// lock in tmp/; the next `gvr install` finds the version installed and must still clean up.
#[test]
fn already_installed_still_cleans_what_a_dead_install_left_in_tmp() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let tmp = g.tmp_dir();
    std::fs::create_dir_all(&tmp).unwrap();
    // Named by the staging rule `<kind>-<pid>-<hex>`, with nobody holding the lock.
    std::fs::write(tmp.join("go-4194305-5eed.lock"), "").unwrap();
    std::fs::create_dir(tmp.join("go-4194305-5eed.trash")).unwrap();
    let r = g.run(["install", "1.22.6"]).ok();
    assert!(r.stderr.contains("already installed"), "{r:?}");
    assert_tmp_clean(&g);
}

fn check_no_partial_version(g: &Gvr, round: usize) {
    for name in Gvr::ls(&g.versions_dir()) {
        assert_eq!(
            name,
            "1.22.6",
            "round {round}: unexpected entry in versions/: {:?}",
            tree(&g.versions_dir())
        );
        let v = g.version_dir(&name);
        assert!(
            g.receipt_path(&name).is_file(),
            "round {round}: versions/{name} has no receipt: {:?}",
            tree(&v)
        );
        assert!(
            v.join("bin/go").is_file() && v.join("pkg/padding.bin").is_file(),
            "round {round}: incomplete: {:?}",
            tree(&v)
        );
        let _ = g.receipt(&name);
    }
    // Whatever sits in downloads/ under a digest name really has that digest.
    for name in Gvr::ls(&g.downloads_dir()) {
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let got = sha256_hex(&std::fs::read(g.downloads_dir().join(&name)).unwrap());
            assert_eq!(
                got, name,
                "round {round}: downloads/{name} holds other bytes"
            );
        }
    }
}

#[test]
fn kill_9_at_random_moments_never_leaves_a_partial_version() {
    let m = padded_mirror(256 * 1024, Checksums::Both);
    let s = serve(&m);
    let path = m.archive_path("1.22.6");
    s.set_fault(
        &path,
        Fault::new().slow(16 * 1024, Duration::from_millis(10)),
    );
    let g = world(&s);
    g.run(["list-remote"]).ok();
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut leftovers_seen = 0;
    for round in 0..10 {
        if round % 2 == 0 {
            // Half the rounds download; the others unpack from the cache (a shorter window).
            let _ = std::fs::remove_dir_all(g.downloads_dir());
        }
        let delay = Duration::from_millis(rand() % 350);
        let (args, mut child) = g.spawn(["install", "1.22.6"]);
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        check_no_partial_version(&g, round);
        if !Gvr::ls(&g.tmp_dir()).is_empty() {
            leftovers_seen += 1;
        }

        let r = g.run(["install", "1.22.6"]);
        assert_eq!(r.code, 0, "round {round} (killed after {delay:?}, {args:?} → {status:?}): recovery failed:\n{r:?}");
        assert_installed(&g, "1.22.6");
        check_no_partial_version(&g, round);
        assert_tmp_clean(&g);
        g.run(["uninstall", "1.22.6"]).ok();
    }
    // Otherwise "the next run cleans the leftovers" was never exercised.
    assert!(
        leftovers_seen > 0,
        "no kill left anything in tmp/; the loop did not interrupt installs"
    );
}

/// Another process's scratch space in tmp/ (here: a gopls build in progress, staged by
/// the shared `<kind>-<pid>-<rand>` rule with its lock held by this test process) is not
/// a leftover: `gvr install` and `gvr uninstall` clean tmp/ around it. A dead one goes.
#[test]
fn install_never_removes_another_live_operations_staging() {
    let m = MirrorBuilder::new().sdks(&["1.22.6"]).build();
    let s = serve(&m);
    let g = world(&s);
    let tmp = g.tmp_dir();
    std::fs::create_dir_all(&tmp).unwrap();
    let live = format!("gopls-{}-0123abcd", std::process::id());
    let lock = std::fs::File::create(tmp.join(format!("{live}.lock"))).unwrap();
    lock.lock().unwrap();
    std::fs::create_dir(tmp.join(&live)).unwrap();
    std::fs::write(tmp.join(&live).join("gopls"), b"half built").unwrap();
    // A dead process's stage: lock file present, nobody holding it.
    std::fs::create_dir(tmp.join("gopls-999999-dead")).unwrap();
    std::fs::write(tmp.join("gopls-999999-dead.lock"), b"").unwrap();

    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    g.run(["uninstall", "1.22.6"]).ok();
    assert!(
        tmp.join(&live).join("gopls").is_file(),
        "a live gopls stage was removed; tmp/: {:?}",
        tree(&tmp)
    );
    assert_eq!(
        Gvr::ls(&tmp),
        [live.clone(), format!("{live}.lock")],
        "only the live stage is left"
    );
    drop(lock);
    g.run(["install", "1.22.6"]).ok();
    assert_tmp_clean(&g);
}

/// Before 1.21 a minor's first release is `go1.20`, never `go1.20.0`, yet Go counts them
/// equal: `1.20.0` installs, selects and uninstalls `versions/1.20`.
#[test]
fn pre_1_21_dot_zero_is_the_minors_first_release() {
    let m = MirrorBuilder::new().sdks(&["1.20.1", "1.20"]).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.20.0"])
        .ok()
        .stderr_has("released as go1.20")
        .stderr_has("installed go1.20 ");
    assert_installed(&g, "1.20");
    assert_eq!(Gvr::ls(&g.versions_dir()), ["1.20"]);
    assert_eq!(g.receipt("1.20")["version"], "1.20");
    g.run(["install", "go1.20.0"])
        .ok()
        .stderr_has("go1.20 is already installed");

    // A pin spelled `1.20.0` runs the installed go1.20.
    std::fs::write(g.work().join(".go-version"), "1.20.0\n").unwrap();
    g.run(["exec", "--", "go", "version"])
        .ok()
        .stdout_has(&format!("go version go1.20 {}/{}", host_os(), host_arch()));

    g.run(["uninstall", "1.20.0"])
        .ok()
        .stderr_has("uninstalled go1.20 ");
    assert_eq!(Gvr::ls(&g.versions_dir()), Vec::<String>::new());

    // Without an index, sidecars alone: the archive is looked up under Go's name too.
    let mut m = m;
    m.remove_index();
    let fresh = world(&s);
    fresh
        .run(["install", "1.20.0"])
        .ok()
        .stderr_has("installed go1.20 ");
    assert_installed(&fresh, "1.20");
    assert_eq!(fresh.receipt("1.20")["checksum_source"], "sidecar");
}

/// Durable before visible: traced with strace, the staged tree is flushed
/// (one syncfs, or an fsync per file where syncfs is missing) before the rename into
/// versions/, and versions/ itself is fsync'd after it. Needs strace (.ci/run installs
/// it); without it the test is skipped locally and fails in CI.
#[cfg(target_os = "linux")]
#[test]
fn install_flushes_the_tree_before_the_commit_rename_and_versions_after() {
    let have_strace = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_strace {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let m = MirrorBuilder::new().sdks(&["1.22.6"]).build();
    let s = serve(&m);
    let g = world(&s);
    let trace = g.root().join("strace.txt");
    let mut args: Vec<String> = [
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=syncfs,fsync,rename,renameat,renameat2",
        "-o",
    ]
    .map(String::from)
    .to_vec();
    args.push(trace.display().to_string());
    args.push(crate::support::cli::gvr_bin().to_string());
    args.extend(["install", "1.22.6"].map(String::from));
    let r = g.run_program("strace", &args);
    assert_eq!(r.code, 0, "{r:?}");
    assert_installed(&g, "1.22.6");
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dest = g.version_dir("1.22.6").display().to_string();
    let commit = lines
        .iter()
        .position(|l| l.contains("rename") && l.contains(&format!("\"{dest}\"")))
        .unwrap_or_else(|| panic!("no rename into {dest} in the trace:\n{text}"));
    let flushed = lines[..commit].iter().any(|l| {
        (l.contains("syncfs(") || (l.contains("fsync(") && l.contains("VERSION>")))
            && l.trim_end().ends_with("= 0")
    });
    assert!(
        flushed,
        "nothing flushed the stage before the commit rename:\n{text}"
    );
    let versions = g.versions_dir().display().to_string();
    let synced = lines[commit..]
        .iter()
        .any(|l| l.contains("fsync(") && l.contains(&format!("<{versions}>")));
    assert!(
        synced,
        "versions/ not fsync'd after the commit rename:\n{text}"
    );
}

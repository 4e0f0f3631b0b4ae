//! Crash safety of the commit: `--force` swaps the old and new trees in one step, and
//! keeping the archive in the download cache is never what fails an install.

use super::*;

/// Every moment a reinstall can die at leaves a complete version: killed (SIGKILL, by
/// strace's fault injection) at the Nth rename of `install --force` for every N, the
/// old or the new tree is in place, and the next run cleans up.
#[cfg(target_os = "linux")]
#[test]
fn force_reinstall_killed_at_each_rename_keeps_a_complete_version() {
    if !have_strace() {
        return;
    }
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let g = {
        let mut g = Gvr::new();
        g.mirror(m.path());
        g
    };
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    let calls = "rename,renameat,renameat2";
    let mut killed = 0;
    for n in 1..20 {
        let args = vec![
            "-f".to_string(),
            "-qq".into(),
            "-e".into(),
            format!("trace={calls}"),
            "-e".into(),
            format!("inject={calls}:signal=KILL:error=EINTR:when={n}"),
            "-o".into(),
            "/dev/null".into(),
            crate::support::cli::gvr_bin().to_string(),
            "install".into(),
            "--force".into(),
            "1.22.6".into(),
        ];
        let r = g.run_program("strace", &args);
        assert_installed(&g, "1.22.6");
        if r.code == 0 {
            break;
        }
        killed += 1;
        g.run(["install", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
        g.run(["install", "--force", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
        assert_tmp_clean(&g);
    }
    assert!(killed >= 1, "no rename was interrupted");
}

/// The same at random moments, without strace: `install --force` killed anywhere never
/// leaves `versions/1.22.6` missing or partial.
#[test]
fn force_reinstall_killed_at_random_moments_keeps_a_complete_version() {
    let m = padded_mirror(256 * 1024, Checksums::Both);
    let mut g = Gvr::new();
    g.mirror(m.path());
    g.run(["install", "1.22.6"]).ok();
    let mut seed: u64 = 0xf0ce_5eed_9876;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..12 {
        let delay = Duration::from_micros(rand() % 120_000);
        let (_, mut child) = g.spawn(["install", "--force", "1.22.6"]);
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            g.receipt_path("1.22.6").is_file()
                && g.version_dir("1.22.6").join("pkg/padding.bin").is_file(),
            "round {round} (killed after {delay:?}): versions/1.22.6 is gone or partial: {:?}",
            tree(&g.versions_dir())
        );
        assert_installed(&g, "1.22.6");
    }
    g.run(["install", "--force", "1.22.6"]).ok();
    assert_tmp_clean(&g);
}

#[cfg(target_os = "linux")]
fn have_strace() -> bool {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: strace is not installed");
    }
    ok
}

/// `downloads/` unable to take the file (something in the way, unwritable) or on another
/// filesystem (a rename into it fails with EXDEV): the install succeeds all the same.
#[test]
fn failing_to_keep_the_archive_does_not_fail_the_install() {
    let m = MirrorBuilder::new().sdk("1.22.6").build();
    let sha = m.archive("1.22.6").sha256();

    // Something else already sits where the archive would be kept.
    let mut g = Gvr::new();
    g.mirror(m.path());
    std::fs::create_dir_all(g.downloads_dir().join(&sha).join("x")).unwrap();
    let r = g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert!(r.stderr.contains("download cache"), "{r:?}");
    assert_tmp_clean(&g);

    // downloads/ unwritable (immutable, so even for root).
    let mut g = Gvr::new();
    g.mirror(m.path());
    std::fs::create_dir_all(g.downloads_dir()).unwrap();
    {
        let _guard = super::output::Unwritable::new(&g.downloads_dir());
        let r = g.run(["install", "1.22.6"]).ok();
        assert!(r.stderr.contains("download cache"), "{r:?}");
    }
    assert_installed(&g, "1.22.6");
    assert_tmp_clean(&g);

    // downloads/ on another filesystem: /dev/shm is a tmpfs on Linux.
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let other = tempfile::TempDir::new_in(shm).unwrap();
        let mut g = Gvr::new();
        g.mirror(m.path());
        std::fs::create_dir_all(g.gvr_home()).unwrap();
        std::os::unix::fs::symlink(other.path(), g.downloads_dir()).unwrap();
        g.run(["install", "1.22.6"]).ok();
        assert_installed(&g, "1.22.6");
        assert_tmp_clean(&g);
        // Kept after all (copied across), and reused by a reinstall.
        assert!(
            other.path().join(&sha).is_file(),
            "{:?}",
            tree(other.path())
        );
        g.run(["install", "--force", "1.22.6"])
            .ok()
            .stderr_has("cached download");
    } else {
        eprintln!("skipped the other-filesystem half: no /dev/shm");
    }
}

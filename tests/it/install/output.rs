//! What install prints: progress on a terminal, step lines otherwise, `--quiet`.

use super::*;

#[test]
fn quiet_install_prints_nothing_on_success() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["--quiet", "install", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    let r = g.run(["install", "-q", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    let r = g.run(["--quiet", "uninstall", "1.22.6"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{r:?}");
    // Errors still show.
    g.run(["--quiet", "uninstall", "1.22.6"])
        .fails()
        .stderr_has("1.22.6");
}

#[test]
fn progress_without_a_terminal_is_plain_lines() {
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    let g = world(&s);
    let r = g.run(["install", "1.22.6"]).ok();
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\u{1b}'),
        "terminal control codes on a pipe:\n{r:?}"
    );
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "expected one line per step:\n{r:?}");
    assert!(lines.len() <= 20, "too chatty for a pipe:\n{r:?}");
    assert_eq!(r.stdout, "", "progress belongs on stderr");
}

#[test]
fn progress_on_a_terminal_draws_bars() {
    // `script` gives gvr a pseudo-terminal; the bar redraws in place.
    if !Path::new("/usr/bin/script").exists() {
        panic!("this test needs util-linux `script` at /usr/bin/script");
    }
    let m = padded_mirror(64 * 1024, Checksums::Both);
    let s = serve(&m);
    s.set_fault(
        &m.archive_path("1.22.6"),
        Fault::new().slow(4 * 1024, Duration::from_millis(40)),
    );
    let mut g = world(&s);
    g.env("TERM", "xterm");
    let inner = format!("{} install 1.22.6", crate::support::cli::gvr_bin());
    let r = g.run_program("/usr/bin/script", ["-qec", inner.as_str(), "/dev/null"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("installed go1.22.6"), "{r:?}");
    assert!(
        r.stdout.contains('\r') && r.stdout.contains("\u{1b}["),
        "no bar drawn on a terminal:\n{r:?}"
    );
    assert_installed(&g, "1.22.6");

    // --quiet draws nothing, terminal or not.
    let inner = format!(
        "{} --quiet install --force 1.22.6",
        crate::support::cli::gvr_bin()
    );
    let r = g.run_program("/usr/bin/script", ["-qec", inner.as_str(), "/dev/null"]);
    assert_eq!((r.code, r.stdout.trim()), (0, ""), "{r:?}");
}

/// Makes `dir` unwritable even for root (`chattr +i`), or by mode where that is not
/// possible; undone on drop.
pub(super) struct Unwritable(std::path::PathBuf);

impl Unwritable {
    pub(super) fn new(dir: &Path) -> Unwritable {
        let immutable = Command::new("/usr/bin/chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !immutable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        assert!(
            std::fs::write(dir.join("probe"), "x").is_err(),
            "could not make {} unwritable",
            dir.display()
        );
        Unwritable(dir.to_path_buf())
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        let _ = Command::new("/usr/bin/chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn unwritable_gvr_home_is_an_error_naming_the_path() {
    let m = std_mirror();
    let g = Gvr::new();
    let _guard = Unwritable::new(&g.gvr_home());
    let r = g
        .run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
        .fails();
    assert!(
        r.stderr.contains(g.gvr_home().to_str().unwrap()),
        "the error should name the path:\n{r:?}"
    );
}

#[test]
fn verbose_names_the_archive_url() {
    let m = std_mirror();
    let s = serve(&m);
    let g = world(&s);
    g.run(["-v", "install", "1.22.6"]).ok().stderr_has(&format!(
        "{}{}",
        s.url(),
        m.archive_path("1.22.6")
    ));
}

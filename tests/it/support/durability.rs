//! Checking that gvr makes a tree durable before it becomes visible, from an strace
//! of the built binary. Linux only, and only where strace is installed (CI has it).

use std::path::Path;
use std::process::Command;

use crate::support::cli::{gvr_bin, Gvr, Run};

/// Whether strace is installed; without it the caller skips, except in CI where it
/// must be (.ci/run installs it).
pub fn have_strace() -> bool {
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

/// Runs `gvr <args>` under strace, tracing the flush and rename calls (with the
/// paths of their descriptors) into `trace`.
pub fn trace_flushes(g: &Gvr, trace: &Path, args: &[&str]) -> Run {
    let mut all: Vec<String> = [
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=syncfs,fsync,fdatasync,rename,renameat,renameat2",
        "-o",
    ]
    .map(String::from)
    .to_vec();
    all.push(trace.display().to_string());
    all.push(gvr_bin().to_string());
    all.extend(args.iter().map(|a| a.to_string()));
    g.run_program("strace", &all)
}

/// The trace shows a durable publish of `dest`: before the rename into it, a
/// successful syncfs or an fsync of a file whose traced path contains `file`; after
/// it, an fsync of `dest`'s parent directory.
pub fn assert_flushed_before_published(trace: &Path, dest: &Path, file: &str) {
    let text = std::fs::read_to_string(trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dest_quoted = format!("\"{}\"", dest.display());
    let commit = lines
        .iter()
        .position(|l| l.contains("rename") && l.contains(&dest_quoted))
        .unwrap_or_else(|| panic!("no rename into {} in the trace:\n{text}", dest.display()));
    let flushed = lines[..commit].iter().any(|l| {
        (l.contains("syncfs(") || (l.contains("fsync(") && l.contains(file)))
            && l.trim_end().ends_with("= 0")
    });
    assert!(
        flushed,
        "nothing flushed {} before the commit rename:\n{text}",
        dest.display()
    );
    let parent = dest.parent().unwrap().display().to_string();
    let synced = lines[commit..]
        .iter()
        .any(|l| l.contains("fsync(") && l.contains(&format!("<{parent}>")));
    assert!(
        synced,
        "{parent} not fsync'd after the commit rename:\n{text}"
    );
}

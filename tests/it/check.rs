//! `gvr check` in a git repository: `path:line: message` lines and exit 1 on problems,
//! `--json`, and `--install-hook` chaining an existing pre-commit hook.

use std::fs;
use std::process::Command;

use crate::support::cli::{Gvr, Run};

fn repo() -> Gvr {
    let g = Gvr::new();
    fs::create_dir_all(g.work().join(".git/hooks")).unwrap();
    g.write(".go-version", "1.22.6\n");
    g.write("go.work", "go 1.22\n\nuse (\n\t./api\n\t./web\n)\n");
    g.write("api/go.mod", "module api\n\ngo 1.22\n");
    g.write("web/go.mod", "module web\n\ngo 1.21\n");
    g
}

#[test]
fn a_clean_repository_passes() {
    let g = repo();
    let run = g.run_in(&g.dir("api"), ["check"]).ok();
    assert_eq!(run.stdout, "");
    let json = g.run(["check", "--json"]).ok().json();
    assert_eq!(json["problems"], serde_json::json!([]));
    assert_eq!(json["root"], g.work().display().to_string());
}

#[test]
fn problems_are_listed_as_path_line_message() {
    let g = repo();
    g.write("web/go.mod", "module web\n\ngo 1.23.0\n");
    g.write(
        "go.work",
        "go 1.22\n\nuse (\n\t./api\n\t./web\n\t./gone\n)\n",
    );
    g.write("tools/.go-version", "1.22.x\n");
    let run = g.run(["check"]).fails();
    assert_eq!(
        run.stdout_lines(),
        [
            "go.work:5: `use ./web`: its go.mod says `go 1.23.0`, newer than `go 1.22` here; run `go work use ./web`".to_string(),
            "go.work:6: `use ./gone`: the directory does not exist".into(),
            "tools/.go-version:1: `1.22.x` is not a Go version (write one like 1.22.10)".into(),
            format!(
                "web/go.mod:3: `go 1.23.0` is newer than go1.22.6 pinned by {}",
                g.work().join(".go-version").display()
            ),
        ]
    );
    assert!(run.stderr.contains("4 problems"), "{run:?}");
    let json = g.run(["check", "--json"]).fails().json();
    assert_eq!(json["problems"].as_array().unwrap().len(), 4);
    assert_eq!(json["problems"][0]["line"], 5);
}

#[test]
fn the_hook_chains_an_existing_one_and_blocks_a_bad_commit() {
    let g = repo();
    if Command::new("git").arg("--version").output().is_err() {
        panic!("these tests need git");
    }
    fs::remove_dir_all(g.work().join(".git")).unwrap();
    let git = |args: &[&str]| {
        Run::of(
            g.program("git", args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com"),
        )
    };
    git(&["init", "-q"]).ok();
    let hook = g.work().join(".git/hooks/pre-commit");
    let marker = g.root().join("previous-hook-ran");
    fs::write(&hook, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();

    let run = g.run(["check", "--install-hook"]).ok();
    assert!(run.stderr.contains("runs your previous hook"), "{run:?}");
    let again = g.run(["check", "--install-hook"]).ok();
    assert!(again.stderr.contains("runs gvr check already"), "{again:?}");

    git(&["add", "-A"]).ok();
    git(&["commit", "-qm", "clean"]).ok();
    assert!(marker.exists(), "the previous hook did not run");
    g.write("web/go.mod", "module web\n\ngo 1.99.0\n");
    git(&["add", "-A"]).ok();
    let blocked = git(&["commit", "-qm", "bad"]);
    assert_ne!(blocked.code, 0, "{blocked:?}");
    // git shows a hook's output on stderr.
    assert!(
        blocked
            .stderr
            .contains("web/go.mod:3: `go 1.99.0` is newer"),
        "{blocked:?}"
    );
}

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir(t.path().join(".git")).unwrap();
    for (rel, text) in files {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    t
}

fn lines(root: &Path) -> Vec<String> {
    check(root)
        .into_iter()
        .map(|p| {
            format!(
                "{}:{}: {}",
                p.path.strip_prefix(root).unwrap().display(),
                p.line,
                p.message
            )
        })
        .collect()
}

#[test]
fn a_healthy_repository_has_no_problems() {
    let t = tree(&[
        (".go-version", "1.24.11\n"),
        ("go.work", "go 1.24\n\nuse (\n\t./a\n\t./b\n)\n"),
        ("a/go.mod", "module a\n\ngo 1.24\n"),
        ("b/go.mod", "module b\n\ngo 1.23\n\ntoolchain go1.24.2\n"),
        (".gopls-version", "v0.20.0\n"),
        ("vendor/x/go.mod", "module x\n\ngo 1.99\n"),
    ]);
    assert_eq!(lines(t.path()), Vec::<String>::new());
}

#[test]
fn every_kind_of_problem_is_located() {
    let t = tree(&[
        (".go-version", "# pinned\n1.22.6\n"),
        (
            "go.work",
            "go 1.22\n\nuse (\n\t./a\n\t./missing\n\t./nomod\n)\n",
        ),
        ("a/go.mod", "module a\n\ngo 1.23.0\n\ntoolchain go1.23.4\n"),
        ("nomod/x.go", "package x\n"),
        ("c/.go-version", "banana\n"),
        ("d/.tool-versions", "nodejs 20\ngolang 1.x\n"),
        ("e/.gopls-version", "latest\n"),
        (".gopls-version", "v0.21.1\n"),
        ("f/.go-version", "1.24\n"),
        ("f/go.mod", "module f\n\ngo 1.25.0\n"),
        ("g/go.work", "go 1.21\n\nuse ./m\n"),
        ("g/m/go.mod", "module m\n\ngo 1.21.5\n"),
        ("g/.go-version", "1.22.6\n"),
    ]);
    assert_eq!(
        lines(t.path()),
        [
            ".gopls-version:1: gopls v0.21.1 supports the go command of go1.24–1.25 only, not go1.22.6 (go1.22.6 is pinned by "
                .to_string()
                + &t.path().join(".go-version").display().to_string()
                + ")",
            format!(
                "a/go.mod:3: `go 1.23.0` is newer than go1.22.6 pinned by {}",
                t.path().join(".go-version").display()
            ),
            format!(
                "a/go.mod:5: `toolchain go1.23.4` is newer than go1.22.6 pinned by {}",
                t.path().join(".go-version").display()
            ),
            "c/.go-version:1: `banana` is not a Go version (write one like 1.22.10)".into(),
            "d/.tool-versions:2: `1.x` is not a Go version (write one like 1.22.10)".into(),
            "e/.gopls-version:1: `latest` is not a gopls version (write one like v0.20.0)".into(),
            format!(
                "f/go.mod:3: `go 1.25.0` is newer than go1.24 pinned by {}",
                t.path().join("f/.go-version").display()
            ),
            "g/go.work:3: `use ./m`: its go.mod says `go 1.21.5`, newer than `go 1.21` here; run `go work use ./m`".into(),
            "go.work:4: `use ./a`: its go.mod says `go 1.23.0`, newer than `go 1.22` here; run `go work use ./a`".into(),
            "go.work:5: `use ./missing`: the directory does not exist".into(),
            "go.work:6: `use ./nomod` has no go.mod".into(),
        ]
    );
}

#[test]
fn repo_root_is_the_git_root() {
    let t = tree(&[("a/b/go.mod", "module b\n")]);
    assert_eq!(repo_root(&t.path().join("a/b")), t.path());
}

#[test]
#[cfg(unix)]
fn hook_is_installed_chained_and_idempotent() {
    let t = tempfile::tempdir().unwrap();
    let hooks = t.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    let out = install_hook(&hooks, Path::new("/opt/gvr")).unwrap();
    assert!(matches!(out, HookOutcome::Chained { .. }), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(hooks.join(PREVIOUS_HOOK)).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let hook = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    assert!(
        hook.contains(PREVIOUS_HOOK) && hook.ends_with("exec '/opt/gvr' check\n"),
        "{hook}"
    );
    assert!(matches!(
        install_hook(&hooks, Path::new("/opt/gvr")).unwrap(),
        HookOutcome::AlreadyInstalled(_)
    ));
    let fresh = t.path().join("fresh");
    assert!(matches!(
        install_hook(&fresh, Path::new("/opt/gvr")).unwrap(),
        HookOutcome::Installed(_)
    ));
}

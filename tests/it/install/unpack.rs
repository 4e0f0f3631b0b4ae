//! Safe unpacking: malicious archives are refused and leave nothing behind.

use super::*;

#[test]
fn zip_sdk_installs() {
    let m = MirrorBuilder::new().dist(Dist::sdk_zip("1.22.6")).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    assert_installed(&g, "1.22.6");
    assert_mode(&g.version_dir("1.22.6").join("bin/gofmt"), 0o755);
    assert_mode(&g.version_dir("1.22.6").join("src/fmt/print.go"), 0o644);
}

#[track_caller]
pub(super) fn assert_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let got = std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(got, mode, "{}: mode {got:o}, want {mode:o}", p.display());
}

#[test]
fn setuid_and_setgid_are_dropped_exec_bits_kept() {
    let opts = SdkOptions {
        go_extra_mode: 0o4000,
        gofmt_extra_mode: 0o2000,
        ..Default::default()
    };
    for format in [Format::TarGz, Format::Zip] {
        let m = MirrorBuilder::new()
            .dist(Dist::sdk_with("1.22.6", format, &opts))
            .build();
        let g = Gvr::new();
        g.run(["--mirror", m.path().to_str().unwrap(), "install", "1.22.6"])
            .ok();
        let v = g.version_dir("1.22.6");
        assert_mode(&v.join("bin/go"), 0o755);
        assert_mode(&v.join("bin/gofmt"), 0o755);
        assert_mode(
            &v.join(format!("pkg/tool/{}_{}/compile", host_os(), host_arch())),
            0o755,
        );
        assert_mode(&v.join("VERSION"), 0o644);
        assert_installed(&g, "1.22.6");
    }
}

#[test]
fn links_inside_the_tree_are_kept() {
    for format in [Format::TarGz, Format::Zip] {
        let d = Dist::sdk_plus(
            "1.22.6",
            vec![
                RawEntry::symlink("go/VERSION.link", "VERSION"),
                RawEntry::symlink("go/bin/go-again", "go"),
                RawEntry::symlink("go/fmt", "src/fmt"),
            ],
            format,
        );
        let m = MirrorBuilder::new().dist(d).build();
        let s = serve(&m);
        let g = world(&s);
        g.run(["install", "1.22.6"]).ok();
        let v = g.version_dir("1.22.6");
        assert_eq!(
            std::fs::read_link(v.join("VERSION.link")).unwrap(),
            Path::new("VERSION")
        );
        assert!(std::fs::read_to_string(v.join("VERSION.link"))
            .unwrap()
            .starts_with("go1.22.6"));
        assert_eq!(
            std::fs::read_link(v.join("bin/go-again")).unwrap(),
            Path::new("go")
        );
        assert!(v.join("fmt/print.go").is_file(), "{format:?}");
        assert_installed(&g, "1.22.6");
    }
}

/// One malicious case: extra entries appended to a valid SDK. `tar_only` for entries
/// that have no zip form (hard links).
struct Case {
    name: &'static str,
    entries: Vec<RawEntry>,
    tar_only: bool,
}

fn case(name: &'static str, entries: Vec<RawEntry>) -> Case {
    Case {
        name,
        entries,
        tar_only: false,
    }
}

fn tar_case(name: &'static str, entries: Vec<RawEntry>) -> Case {
    Case {
        name,
        entries,
        tar_only: true,
    }
}

/// Every case, as a tar.gz and (unless it has no zip form) as a zip: refused with exit 1,
/// an error naming an offending entry, nothing in versions/ or tmp/, nothing written
/// outside the tree, `$GVR_HOME` itself untouched.
#[test]
fn malicious_archives_are_refused() {
    // Absolute targets point into this test's own temp dir, never at the real system.
    let g0 = Gvr::new();
    let outside = g0.root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let abs = |name: &str| outside.join(name).to_str().unwrap().to_string();
    let out = outside.to_str().unwrap();

    let cases: Vec<Case> = vec![
        case(
            "dot-dot inside go/",
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
        ),
        case(
            "dot-dot at top",
            vec![RawEntry::file("../evil", 0o644, b"x")],
        ),
        case(
            "backslash dot-dot",
            vec![RawEntry::file("go\\..\\..\\evil", 0o644, b"x")],
        ),
        case(
            "absolute path",
            vec![RawEntry::file(&abs("abs-evil"), 0o644, b"x")],
        ),
        case(
            "entry outside go/",
            vec![RawEntry::file("other/evil", 0o644, b"x")],
        ),
        case("file beside go/", vec![RawEntry::file("evil", 0o644, b"x")]),
        case(
            "symlink to /etc/passwd",
            vec![RawEntry::symlink("go/passwd", "/etc/passwd")],
        ),
        case(
            "symlink up and out",
            vec![RawEntry::symlink("go/up", "../../x")],
        ),
        case(
            "symlink to the parent of the tree",
            vec![RawEntry::symlink("go/parent", "..")],
        ),
        case(
            // Inside on paper, but `..` in a target is never needed by a Go SDK and is
            // how every order trick below escapes.
            "symlink with .. that stays inside",
            vec![RawEntry::symlink("go/misc/up", "../VERSION")],
        ),
        case(
            "write through an escaping symlink",
            vec![
                RawEntry::symlink("go/esc", out),
                RawEntry::file("go/esc/through", 0o644, b"x"),
            ],
        ),
        case(
            "write through a dir symlink climbing out",
            vec![
                RawEntry::symlink("go/bin/up", "../.."),
                RawEntry::file("go/bin/up/through", 0o644, b"x"),
            ],
        ),
        case(
            "write through an inside symlink",
            vec![
                RawEntry::symlink("go/a", "bin"),
                RawEntry::file("go/a/through", 0o644, b"x"),
            ],
        ),
        case(
            // `go/a/b -> ..` looks like `go/` when judged by archive names, but on disk
            // `go/a` is `go/`, so `b` lands in `go/` and points above it.
            "symlink chain through an inside link",
            vec![
                RawEntry::symlink("go/a", "."),
                RawEntry::symlink("go/a/b", ".."),
                RawEntry::file("go/a/b/through", 0o644, b"x"),
            ],
        ),
        case(
            // `x` is judged before `d` is a link: `d/d/../..` looks like `go/`, but once
            // `d -> .` exists it is the parent of the tree; the receipt would then be
            // written through `.gvr` into $GVR_HOME.
            "link order: a target judged before the link it passes through",
            vec![
                RawEntry::symlink("go/x", "d/d/../.."),
                RawEntry::symlink("go/d", "."),
                RawEntry::symlink("go/.gvr", "x"),
            ],
        ),
        case(
            // Case-insensitive filesystems: `A` is `a`.
            "case-folded link order",
            vec![
                RawEntry::symlink("go/a", "."),
                RawEntry::symlink("go/b", "A/.."),
                RawEntry::file("go/B/evil", 0o644, b"x"),
            ],
        ),
        case(
            "the receipt directory as a link",
            vec![RawEntry::symlink("go/.gvr", "bin")],
        ),
        case(
            "a planted receipt",
            vec![RawEntry::file("go/.gvr/receipt.json", 0o644, b"{}")],
        ),
        tar_case(
            "hardlink to /etc/passwd",
            vec![RawEntry::hardlink("go/hl", "/etc/passwd")],
        ),
        tar_case(
            "hardlink escaping with ..",
            vec![RawEntry::hardlink("go/hl", "go/../../x")],
        ),
        tar_case(
            "hardlink outside go/",
            vec![RawEntry::hardlink("go/hl", &abs("target"))],
        ),
        tar_case(
            "hardlink to a symlink",
            vec![
                RawEntry::symlink("go/s", "VERSION"),
                RawEntry::hardlink("go/hl", "go/s"),
            ],
        ),
        case("fifo", vec![RawEntry::fifo("go/fifo")]),
        case("char device", vec![RawEntry::char_device("go/null")]),
    ];
    std::fs::write(outside.join("target"), "outside").unwrap();

    let mut failures = Vec::new();
    let mut runs = 0;
    for c in &cases {
        for format in [Format::TarGz, Format::Zip] {
            if c.tar_only && format == Format::Zip {
                continue;
            }
            runs += 1;
            let label = format!("{} ({format:?})", c.name);
            if let Some(problems) = refused_cleanly(&c.entries, format, &outside) {
                failures.push(format!("{label}: {problems}"));
            }
        }
    }
    assert!(runs >= 40, "the table shrank: {runs} runs");
    assert_eq!(
        std::fs::read_to_string(outside.join("target")).unwrap(),
        "outside"
    );
    assert!(
        failures.is_empty(),
        "{} malicious archive(s) not refused cleanly:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Installs the SDK plus `extra` from a plain-directory mirror; `None` when it was
/// refused cleanly, else what went wrong.
fn refused_cleanly(extra: &[RawEntry], format: Format, outside: &Path) -> Option<String> {
    let entry_names: Vec<String> = extra.iter().map(|e| e.name.clone()).collect();
    let m = MirrorBuilder::new()
        .dist(Dist::sdk_plus("1.22.6", extra.to_vec(), format))
        .build();
    let mut g = Gvr::new();
    g.mirror(m.path());
    let r = g.run(["install", "1.22.6"]);
    let mut problems = Vec::new();
    if r.code != 1 {
        problems.push(format!("exit {}", r.code));
    }
    if !entry_names.iter().any(|n| r.stderr.contains(n.as_str())) {
        problems.push("the error does not name the offending entry".to_string());
    }
    if !Gvr::ls(&g.versions_dir()).is_empty() {
        problems.push(format!("versions/: {:?}", tree(&g.versions_dir())));
    }
    if !Gvr::ls(&g.tmp_dir()).is_empty() {
        problems.push(format!("tmp/ left: {:?}", tree(&g.tmp_dir())));
    }
    let home_top: Vec<String> = Gvr::ls(&g.gvr_home())
        .into_iter()
        .filter(|n| {
            !["versions", "tmp", "downloads", "cache", "locks", "index"].contains(&n.as_str())
        })
        .collect();
    if !home_top.is_empty() {
        problems.push(format!("wrote into $GVR_HOME itself: {home_top:?}"));
    }
    let escaped: Vec<String> = tree(g.root())
        .into_iter()
        .chain(tree(outside).into_iter().map(|p| format!("outside/{p}")))
        .filter(|p| {
            let f = p.rsplit('/').next().unwrap();
            ["evil", "abs-evil", "through", "x", "receipt.json"].contains(&f)
                && !p.ends_with("versions/1.22.6/.gvr/receipt.json")
        })
        .collect();
    if !escaped.is_empty() {
        problems.push(format!("wrote outside the tree: {escaped:?}"));
    }
    (!problems.is_empty()).then(|| format!("{}\n{r:?}", problems.join("; ")))
}

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
    let d = Dist::sdk_plus(
        "1.22.6",
        vec![
            RawEntry::dir("go/misc/"),
            RawEntry::symlink("go/misc/VERSION.link", "../VERSION"),
            RawEntry::symlink("go/bin/go-again", "go"),
        ],
        Format::TarGz,
    );
    let m = MirrorBuilder::new().dist(d).build();
    let s = serve(&m);
    let g = world(&s);
    g.run(["install", "1.22.6"]).ok();
    let v = g.version_dir("1.22.6");
    assert_eq!(
        std::fs::read_link(v.join("misc/VERSION.link")).unwrap(),
        Path::new("../VERSION")
    );
    assert!(std::fs::read_to_string(v.join("misc/VERSION.link"))
        .unwrap()
        .starts_with("go1.22.6"));
    assert_eq!(
        std::fs::read_link(v.join("bin/go-again")).unwrap(),
        Path::new("go")
    );
}

#[test]
fn malicious_archives_are_refused() {
    // Absolute targets point into this test's own temp dir, never at the real system.
    let g0 = Gvr::new();
    let outside = g0.root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let abs = |name: &str| outside.join(name).to_str().unwrap().to_string();

    let cases: Vec<(&str, Format, Vec<RawEntry>)> = vec![
        (
            "dot-dot inside go/",
            Format::TarGz,
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
        ),
        (
            "dot-dot at top",
            Format::TarGz,
            vec![RawEntry::file("../evil", 0o644, b"x")],
        ),
        (
            "absolute path",
            Format::TarGz,
            vec![RawEntry::file(&abs("abs-evil"), 0o644, b"x")],
        ),
        (
            "entry outside go/",
            Format::TarGz,
            vec![RawEntry::file("other/evil", 0o644, b"x")],
        ),
        (
            "file beside go/",
            Format::TarGz,
            vec![RawEntry::file("evil", 0o644, b"x")],
        ),
        (
            "symlink to /etc/passwd",
            Format::TarGz,
            vec![RawEntry::symlink("go/passwd", "/etc/passwd")],
        ),
        (
            "symlink up and out",
            Format::TarGz,
            vec![RawEntry::symlink("go/up", "../../x")],
        ),
        (
            "symlink to the parent of the tree",
            Format::TarGz,
            vec![RawEntry::symlink("go/parent", "..")],
        ),
        (
            "write through an escaping symlink",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/esc", outside.to_str().unwrap()),
                RawEntry::file("go/esc/through", 0o644, b"x"),
            ],
        ),
        (
            "write through a dir symlink climbing out",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/bin/up", "../.."),
                RawEntry::file("go/bin/up/through", 0o644, b"x"),
            ],
        ),
        (
            // `go/a/b -> ..` looks like `go/` when judged by archive names, but on disk
            // `go/a` is `go/`, so `b` lands in `go/` and points above it.
            "symlink chain through an inside link",
            Format::TarGz,
            vec![
                RawEntry::symlink("go/a", "."),
                RawEntry::symlink("go/a/b", ".."),
                RawEntry::file("go/a/b/through", 0o644, b"x"),
            ],
        ),
        (
            "hardlink to /etc/passwd",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", "/etc/passwd")],
        ),
        (
            "hardlink escaping with ..",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", "go/../../x")],
        ),
        (
            "hardlink outside go/",
            Format::TarGz,
            vec![RawEntry::hardlink("go/hl", &abs("target"))],
        ),
        ("fifo", Format::TarGz, vec![RawEntry::fifo("go/fifo")]),
        (
            "char device",
            Format::TarGz,
            vec![RawEntry::char_device("go/null")],
        ),
        (
            "zip dot-dot",
            Format::Zip,
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
        ),
        (
            "zip absolute",
            Format::Zip,
            vec![RawEntry::file(&abs("zip-abs-evil"), 0o644, b"x")],
        ),
        (
            "zip entry outside go/",
            Format::Zip,
            vec![RawEntry::file("other/evil", 0o644, b"x")],
        ),
        (
            "zip symlink to /etc/passwd",
            Format::Zip,
            vec![RawEntry::symlink("go/passwd", "/etc/passwd")],
        ),
        (
            "zip symlink up and out",
            Format::Zip,
            vec![RawEntry::symlink("go/up", "../../x")],
        ),
    ];
    std::fs::write(outside.join("target"), "outside").unwrap();

    let mut failures = Vec::new();
    for (name, format, extra) in cases {
        let entry_names: Vec<String> = extra.iter().map(|e| e.name.clone()).collect();
        let m = MirrorBuilder::new()
            .dist(Dist::sdk_plus("1.22.6", extra, format))
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
        let escaped: Vec<String> = tree(g.root())
            .into_iter()
            .chain(tree(&outside).into_iter().map(|p| format!("outside/{p}")))
            .filter(|p| {
                let f = p.rsplit('/').next().unwrap();
                ["evil", "abs-evil", "zip-abs-evil", "through", "x"].contains(&f)
            })
            .collect();
        if !escaped.is_empty() {
            problems.push(format!("wrote outside the tree: {escaped:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{r:?}", problems.join("; ")));
        }
    }
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

//! Unit tests of unpacking: formats, modes, refusals.

use super::*;
use std::os::unix::fs::PermissionsExt;

/// One entry of a test archive.
enum E<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    Device(&'a str),
    Fifo(&'a str),
}

// The integration tests' archive builders, shared rather than written twice.
#[allow(dead_code)]
#[path = "../../../tests/it/support/archive.rs"]
mod archive;

fn raw(entries: &[E]) -> Vec<archive::RawEntry> {
    use archive::RawEntry;
    entries
        .iter()
        .map(|e| match *e {
            E::File(n, d, m) => RawEntry::file(n, m, d),
            E::Dir(n) => RawEntry::dir(n),
            E::Symlink(n, t) => RawEntry::symlink(n, t),
            E::Hardlink(n, t) => RawEntry::hardlink(n, t),
            E::Device(n) => RawEntry::char_device(n),
            E::Fifo(n) => RawEntry::fifo(n),
        })
        .collect()
}

fn tar_gz(entries: &[E]) -> Vec<u8> {
    archive::tar_gz(&raw(entries))
}

fn zip_file(entries: &[E]) -> Vec<u8> {
    archive::zip(&raw(entries))
}

fn unpack_tar(entries: &[E]) -> (tempfile::TempDir, Result<UnpackStats, UnpackError>) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("stage");
    fs::create_dir(&dest).unwrap();
    let r = unpack_tar_gz(&tar_gz(entries)[..], &dest, Limits::for_archive(None));
    (dir, r)
}

fn unpack_z(entries: &[E]) -> (tempfile::TempDir, Result<UnpackStats, UnpackError>) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("stage");
    fs::create_dir(&dest).unwrap();
    let zpath = dir.path().join("a.zip");
    fs::write(&zpath, zip_file(entries)).unwrap();
    let r = unpack_zip(&zpath, &dest);
    (dir, r)
}

fn good_sdk() -> Vec<E<'static>> {
    vec![
        E::Dir("go/"),
        E::Dir("go/bin/"),
        E::File(
            "go/VERSION",
            b"go1.22.6\ntime 2024-08-06T00:00:00Z\n",
            0o644,
        ),
        E::File("go/bin/go", b"#!/bin/sh\necho hi\n", 0o755),
        E::File("go/src/fmt/print.go", b"package fmt\n", 0o644),
        E::File("go/pkg/tool/linux_amd64/compile", b"x", 0o4755),
    ]
}

fn check_good(dir: &Path) {
    let stage = dir.join("stage");
    assert!(stage.join("bin/go").is_file());
    assert!(!stage.join("go").exists(), "go/ prefix is stripped");
    let mode = |p: &str| fs::metadata(stage.join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode("bin/go") & 0o111, 0o111, "exec bits kept");
    assert_eq!(mode("src/fmt/print.go") & 0o111, 0);
    assert_eq!(
        mode("pkg/tool/linux_amd64/compile") & 0o7000,
        0,
        "setuid dropped"
    );
    check_version_file(&stage, &"1.22.6".parse().unwrap()).unwrap();
    let e = check_version_file(&stage, &"1.22.7".parse().unwrap()).unwrap_err();
    assert!(e.to_string().contains("go1.22.6"), "{e}");
}

#[test]
fn unpacks_a_good_tar_gz_and_zip() {
    let (dir, r) = unpack_tar(&good_sdk());
    assert_eq!(r.unwrap().files, 4);
    check_good(dir.path());
    let (dir, r) = unpack_z(&good_sdk());
    assert_eq!(r.unwrap().files, 4);
    check_good(dir.path());
}

#[test]
fn keeps_links_that_stay_inside() {
    let mut es = good_sdk();
    es.push(E::Symlink("go/bin/go2", "go"));
    es.push(E::Symlink("go/fmt", "src/fmt"));
    es.push(E::Hardlink("go/bin/go3", "go/bin/go"));
    let (dir, r) = unpack_tar(&es);
    r.unwrap();
    let stage = dir.path().join("stage");
    assert_eq!(
        fs::read_link(stage.join("fmt")).unwrap(),
        Path::new("src/fmt")
    );
    assert!(stage.join("fmt/print.go").is_file());
    assert!(stage.join("bin/go3").is_file());
    let mut es = good_sdk();
    es.push(E::Symlink("go/bin/go2", "go"));
    let (_dir, r) = unpack_z(&es);
    r.unwrap();
}

/// Each malicious entry, appended to a valid SDK, must be refused with its name.
fn malicious<'a>() -> Vec<(E<'a>, &'a str, &'a str)> {
    vec![
        (E::File("/etc/evil", b"x", 0o644), "/etc/evil", "absolute"),
        (E::File("go/../evil", b"x", 0o644), "go/../evil", ".."),
        (
            E::File("go/bin/../../evil", b"x", 0o644),
            "go/bin/../../evil",
            "..",
        ),
        (E::File("evil/x", b"x", 0o644), "evil/x", "outside"),
        (E::File("gopher/x", b"x", 0o644), "gopher/x", "outside"),
        (
            E::File("go\\..\\..\\evil", b"x", 0o644),
            "go\\..\\..\\evil",
            "..",
        ),
        (
            E::Symlink("go/bin/esc", "../../etc/passwd"),
            "go/bin/esc",
            "`..`",
        ),
        (
            E::Symlink("go/bin/abs", "/etc/passwd"),
            "go/bin/abs",
            "absolute",
        ),
        (E::Device("go/dev/null"), "go/dev/null", "device"),
        (E::Fifo("go/fifo"), "go/fifo", "fifo"),
    ]
}

#[test]
fn refuses_malicious_tar_entries() {
    let mut cases = malicious();
    cases.push((
        E::Hardlink("go/bin/h", "/etc/passwd"),
        "go/bin/h",
        "outside",
    ));
    cases.push((
        E::Hardlink("go/bin/h", "go/../../etc/passwd"),
        "go/bin/h",
        "outside",
    ));
    for (entry, name, why) in cases {
        let mut es = good_sdk();
        es.push(entry);
        let (dir, r) = unpack_tar(&es);
        let e = r.expect_err(name);
        let msg = e.to_string();
        assert!(matches!(e, UnpackError::Refused { .. }), "{msg}");
        assert!(msg.contains(name) && msg.contains(why), "{name}: {msg}");
        assert!(!dir.path().join("evil").exists() && !dir.path().join("etc").exists());
    }
}

#[test]
fn refuses_malicious_zip_entries() {
    for (entry, name, why) in malicious() {
        let mut es = good_sdk();
        es.push(entry);
        let (dir, r) = unpack_z(&es);
        let e = r.expect_err(name);
        let msg = e.to_string();
        assert!(matches!(e, UnpackError::Refused { .. }), "{msg}");
        assert!(msg.contains(name) && msg.contains(why), "{name}: {msg}");
        assert!(!dir.path().join("evil").exists());
    }
}

#[test]
fn refuses_writing_through_an_inside_link() {
    // `go/a -> .` is inside, but `go/a/x -> ..` would then resolve to the parent of
    // the tree on disk, and files under `go/a/` would land wherever `a` points.
    for es in [
        vec![E::Symlink("go/a", "."), E::Symlink("go/b", "a/..")],
        vec![E::Symlink("go/a", "bin"), E::File("go/a/x", b"x", 0o644)],
    ] {
        let mut all = good_sdk();
        all.extend(es);
        let (_dir, r) = unpack_tar(&all);
        let e = r.unwrap_err();
        assert!(e.to_string().contains("link"), "{e}");
    }
}

#[test]
fn detects_format_by_magic() {
    assert_eq!(Format::sniff(&[0x1f, 0x8b, 8, 0]), Some(Format::TarGz));
    assert_eq!(Format::sniff(b"PK\x03\x04"), Some(Format::Zip));
    assert_eq!(Format::sniff(b"<!DOCTYPE html>"), None);
    assert_eq!(Format::sniff(b""), None);
}

#[test]
fn corrupt_gzip_is_an_error() {
    let mut bytes = tar_gz(&good_sdk());
    let n = bytes.len();
    bytes.truncate(n - 20);
    let dir = tempfile::tempdir().unwrap();
    assert!(unpack_tar_gz(&bytes[..], dir.path(), Limits::for_archive(None)).is_err());
}

/// The writer alone, given paths the checks passed, never follows a link that is on
/// disk: not in a parent, not at the entry itself, not as a hard link's target.
#[test]
fn writer_never_follows_a_link_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&stage).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("file"), "outside").unwrap();
    std::os::unix::fs::symlink(&outside, stage.join("a")).unwrap();
    std::os::unix::fs::symlink(outside.join("file"), stage.join("f")).unwrap();
    let mut w = writer::Writer::new(&stage).unwrap();
    let through = [
        writer::Op::Dir("a/b".into()),
        writer::Op::Open {
            rel: "a/x".into(),
            mode: 0o644,
        },
        writer::Op::Symlink {
            rel: "a/l".into(),
            target: "y".into(),
        },
    ];
    for op in through {
        let e = w.apply(op).unwrap_err().to_string();
        assert!(e.contains("through a link"), "{e}");
    }
    let e = w
        .apply(writer::Op::Hardlink {
            name: "go/h".into(),
            shown: "go/f".into(),
            rel: "h".into(),
            target: "f".into(),
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a regular file"), "{e}");
    // A file entry where a link is replaces the link, never writes through it.
    w.apply(writer::Op::Open {
        rel: "f".into(),
        mode: 0o644,
    })
    .unwrap();
    w.apply(writer::Op::Write(b"inside".to_vec())).unwrap();
    w.close();
    assert_eq!(fs::read_to_string(outside.join("file")).unwrap(), "outside");
    assert_eq!(fs::read_to_string(stage.join("f")).unwrap(), "inside");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
}

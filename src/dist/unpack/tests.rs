//! Unit tests of unpacking: formats, modes, refusals.

use super::*;
use std::io::Write;
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

/// Builds a tar.gz writing names as raw bytes, so malicious names survive (the tar
/// crate's own setters refuse them).
fn tar_gz(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, kind, data, mode, link): (&str, tar::EntryType, &[u8], u32, Option<&str>) =
            match e {
                E::File(n, d, m) => (n, tar::EntryType::Regular, d, *m, None),
                E::Dir(n) => (n, tar::EntryType::Directory, b"", 0o755, None),
                E::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", 0o777, Some(t)),
                E::Hardlink(n, t) => (n, tar::EntryType::Link, b"", 0o644, Some(t)),
                E::Device(n) => (n, tar::EntryType::Char, b"", 0o644, None),
                E::Fifo(n) => (n, tar::EntryType::Fifo, b"", 0o644, None),
            };
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            let raw = &mut h.as_old_mut().linkname;
            raw[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// Builds a zip; device and fifo entries get their type bits patched into the
/// central directory afterwards, because the zip writer only stores permissions.
fn zip_file(entries: &[E]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let mut patches = Vec::new();
    for e in entries {
        match e {
            E::File(n, d, m) => {
                w.start_file(*n, SimpleFileOptions::default().unix_permissions(*m))
                    .unwrap();
                w.write_all(d).unwrap();
            }
            E::Dir(n) => w.add_directory(*n, SimpleFileOptions::default()).unwrap(),
            E::Symlink(n, t) => w.add_symlink(*n, *t, SimpleFileOptions::default()).unwrap(),
            E::Hardlink(..) => unreachable!("zip has no hard links"),
            E::Device(n) | E::Fifo(n) => {
                w.start_file(*n, SimpleFileOptions::default()).unwrap();
                let kind = if matches!(e, E::Device(_)) {
                    0o020644u32
                } else {
                    0o010644
                };
                patches.push((n.to_string(), kind));
            }
        }
    }
    let mut bytes = w.finish().unwrap().into_inner();
    for (name, mode) in patches {
        patch_zip_mode(&mut bytes, &name, mode);
    }
    bytes
}

fn patch_zip_mode(bytes: &mut [u8], name: &str, mode: u32) {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == *b"PK\x01\x02" {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            if &bytes[i + 46..i + 46 + n] == name.as_bytes() {
                bytes[i + 5] = 3; // made by Unix
                bytes[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
                return;
            }
        }
        i += 1;
    }
    panic!("{name} not in central directory");
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

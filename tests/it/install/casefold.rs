//! Installing into a `GVR_HOME` on a filesystem that ignores case, as macOS and Windows
//! do by default: a loop-mounted ext4 with `-O casefold` and a `+F` directory (needs a
//! kernel with CONFIG_UNICODE), else XFS made with `-n version=ci` (needs a kernel that
//! still has ascii-ci). Needs root; skipped, saying why, without any of them. (FAT
//! through `fusefat` was tried too: its directory renames lose their contents, so it
//! cannot hold an install at all.)

use std::path::PathBuf;
use std::process::Stdio;

use super::*;

/// A mounted case-insensitive filesystem, unmounted on drop.
struct Folding {
    dir: PathBuf,
    kind: &'static str,
    mnt: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Drop for Folding {
    fn drop(&mut self) {
        if !sh("umount", &[&self.mnt]) {
            sh("umount", &[Path::new("-l"), &self.mnt]);
        }
    }
}

fn sh(cmd: &str, args: &[&Path]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes a case-insensitive directory, or says why it cannot.
fn folding_dir() -> Result<Folding, String> {
    let mut why = Vec::new();
    if !Path::new("/sys/fs/ext4/features/casefold").exists() {
        why.push("the kernel has no ext4 casefold (CONFIG_UNICODE)".to_string());
    } else {
        match loop_mount("ext4 casefold", &["mkfs.ext4", "-q", "-O", "casefold"], 64) {
            Ok(f) if sh("chattr", &[Path::new("+F"), &f.dir]) => return Ok(f),
            Ok(_) => why.push("chattr +F failed".into()),
            Err(e) => why.push(e),
        }
    }
    // XFS's older ASCII-only folding, where the kernel still has it.
    match loop_mount("XFS ascii-ci", &["mkfs.xfs", "-q", "-n", "version=ci"], 320) {
        Ok(f) => return Ok(f),
        Err(e) => why.push(e),
    }
    Err(why.join("; "))
}

/// A fresh `mib`-MiB image made by `mkfs`, loop-mounted, with an empty directory `cf`.
fn loop_mount(kind: &'static str, mkfs: &[&str], mib: u64) -> Result<Folding, String> {
    let tmp = tempfile::TempDir::new().unwrap();
    let img = tmp.path().join("fs.img");
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    std::fs::File::create(&img)
        .unwrap()
        .set_len(mib << 20)
        .unwrap();
    let mut args: Vec<&Path> = mkfs[1..].iter().map(Path::new).collect();
    args.push(&img);
    if !sh(mkfs[0], &args) {
        return Err(format!("{} failed (not installed?)", mkfs.join(" ")));
    }
    if !sh("mount", &[Path::new("-o"), Path::new("loop"), &img, &mnt]) {
        return Err(format!(
            "cannot loop-mount {kind} (not root, or the kernel lacks it)"
        ));
    }
    let f = Folding {
        dir: mnt.join("cf"),
        kind,
        mnt: mnt.clone(),
        _tmp: tmp,
    };
    std::fs::create_dir(&f.dir).unwrap();
    Ok(f)
}

#[cfg(target_os = "linux")]
#[test]
fn installs_and_refuses_case_tricks_on_a_case_insensitive_filesystem() {
    let fs = match folding_dir() {
        Ok(f) => f,
        Err(why) => {
            eprintln!("skipped: no case-insensitive filesystem here: {why}");
            return;
        }
    };
    eprintln!("running on {} at {}", fs.kind, fs.dir.display());
    std::fs::write(fs.dir.join("probe"), "").unwrap();
    assert!(
        fs.dir.join("PROBE").exists(),
        "{} does not fold case",
        fs.kind
    );
    std::fs::remove_file(fs.dir.join("probe")).unwrap();

    let home = |n: &str| fs.dir.join(n);
    // A plain SDK installs and runs.
    let m = MirrorBuilder::new().sdk("1.22.6").build();
    let mut g = Gvr::new();
    g.mirror(m.path()).env("GVR_HOME", home("ok"));
    g.run(["install", "1.22.6"]).ok();
    let v = home("ok").join("versions/1.22.6");
    assert!(v.join("VERSION").is_file() && v.join(".gvr/receipt.json").is_file());
    g.run(["install", "--force", "1.22.6"]).ok();
    assert!(v.join("bin/go").is_file());

    let cases: Vec<(&str, Vec<RawEntry>)> = vec![
        (
            // The SDK has go/src/fmt/print.go.
            "two spellings of one file",
            vec![RawEntry::file("go/src/fmt/Print.go", 0o644, b"x")],
        ),
        (
            "two spellings of one directory",
            vec![RawEntry::file("go/SRC/evil", 0o644, b"x")],
        ),
        (
            "the receipt directory in capitals",
            vec![RawEntry::file("go/.GVR/receipt.json", 0o644, b"{}")],
        ),
        (
            "write through a link spelled differently",
            vec![
                RawEntry::symlink("go/a", "bin"),
                RawEntry::file("go/A/evil", 0o644, b"x"),
            ],
        ),
        (
            "issue 11's case trick",
            vec![
                RawEntry::symlink("go/a", "."),
                RawEntry::symlink("go/b", "A/.."),
                RawEntry::file("go/B/evil", 0o644, b"x"),
            ],
        ),
    ];
    for (i, (name, extra)) in cases.into_iter().enumerate() {
        for format in [Format::TarGz, Format::Zip] {
            let names: Vec<String> = extra.iter().map(|e| e.name.clone()).collect();
            let m = MirrorBuilder::new()
                .dist(Dist::sdk_plus("1.22.6", extra.clone(), format))
                .build();
            let h = home(&format!("bad{i}{format:?}"));
            let mut g = Gvr::new();
            g.mirror(m.path()).env("GVR_HOME", &h);
            let r = g.run(["install", "1.22.6"]);
            let label = format!("{name} ({format:?}) on {}", fs.kind);
            assert_eq!(r.code, 1, "{label}: {r:?}");
            assert!(
                names.iter().any(|n| r.stderr.contains(n.as_str())),
                "{label}: {}",
                r.stderr
            );
            assert!(Gvr::ls(&h.join("versions")).is_empty(), "{label}");
            assert!(
                Gvr::ls(&h.join("tmp")).is_empty(),
                "{label}: {:?}",
                tree(&h.join("tmp"))
            );
            let evil: Vec<String> = tree(&fs.dir)
                .into_iter()
                .filter(|p| p.ends_with("/evil") || p.ends_with("/EVIL"))
                .collect();
            assert!(evil.is_empty(), "{label}: {evil:?}");
        }
    }
}

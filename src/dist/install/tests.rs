use super::*;
use crate::dist::fetch::FetchConfig;
use crate::report::Silent;
use sha2::{Digest, Sha256};
use std::io::Write;

/// A synthetic SDK archive for `version` as tar.gz bytes.
fn sdk_tar_gz(version: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, mode) in [
        (
            "go/VERSION",
            format!("go{version}\ntime 2024-08-06T00:00:00Z\n"),
            0o644,
        ),
        ("go/bin/go", "#!/bin/sh\necho go\n".to_string(), 0o755),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data.as_bytes()).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    home: GvrHome,
    mirror: PathBuf,
}

fn fixture(version: &str, sidecar: Option<&str>) -> (Fixture, String) {
    let dir = tempfile::tempdir().unwrap();
    let home = GvrHome::at(dir.path().join("home"), dir.path().join("cache"));
    let mirror = dir.path().join("mirror");
    fs::create_dir_all(&mirror).unwrap();
    let v: GoVersion = version.parse().unwrap();
    let name = crate::dist::Platform::current().archive_filename(&v);
    let bytes = sdk_tar_gz(version);
    let sha = hex::encode(Sha256::digest(&bytes));
    fs::write(mirror.join(&name), &bytes).unwrap();
    if let Some(s) = sidecar {
        fs::write(
            mirror.join(format!("{name}.sha256")),
            s.replace("SHA", &sha),
        )
        .unwrap();
    }
    (
        Fixture {
            _dir: dir,
            home,
            mirror,
        },
        sha,
    )
}

fn source(f: &Fixture) -> Source {
    Source::new(
        Some(f.mirror.to_str().unwrap()),
        FetchConfig::from_env(false),
    )
    .unwrap()
}

fn v(s: &str) -> GoVersion {
    s.parse().unwrap()
}

#[test]
fn installs_from_a_directory_with_sidecar_and_reuses_the_download() {
    let (f, sha) = fixture("1.22.6", Some("SHA  file\n"));
    let out = install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap();
    assert!(!out.already_installed);
    assert_eq!(out.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(out.checksum.as_ref().unwrap().kind(), "sidecar");
    assert!(f.home.version_dir(&v("1.22.6")).join("bin/go").is_file());
    let receipt = Receipt::read(&f.home.receipt_path(&v("1.22.6"))).unwrap();
    assert_eq!(receipt.sha256, sha);
    assert_eq!(receipt.checksum_source, "sidecar");
    assert!(f.home.download_path(&sha).is_file());
    assert_eq!(
        fs::read_dir(f.home.tmp_dir()).unwrap().count(),
        0,
        "tmp/ is left empty"
    );

    let again = install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap();
    assert!(again.already_installed);

    // Reinstall with the mirror's archive gone: the content-addressed copy serves it.
    fs::remove_file(
        f.mirror
            .join(crate::dist::Platform::current().archive_filename(&v("1.22.6"))),
    )
    .unwrap();
    let forced = install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions {
            force: true,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    assert!(forced.from_download_cache);
    assert!(f.home.version_dir(&v("1.22.6")).join("VERSION").is_file());

    uninstall(&f.home, &v("1.22.6"), &Silent).unwrap();
    assert!(!f.home.version_dir(&v("1.22.6")).exists());
    assert!(matches!(
        uninstall(&f.home, &v("1.22.6"), &Silent),
        Err(UninstallError::NotInstalled { .. })
    ));
}

#[test]
fn mismatch_leaves_nothing_behind() {
    let wrong = "0".repeat(64);
    let (f, sha) = fixture("1.22.6", Some(&wrong));
    let e = install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, InstallError::ChecksumMismatch { .. }), "{msg}");
    assert!(
        msg.contains(&wrong) && msg.contains(&sha) && msg.contains("go1.22.6."),
        "{msg}"
    );
    assert!(!f.home.versions_dir().join("1.22.6").exists());
    assert_eq!(fs::read_dir(f.home.tmp_dir()).unwrap().count(), 0);
    assert!(!f.home.download_path(&sha).exists());
}

#[test]
fn unverified_needs_the_flag() {
    let (f, _) = fixture("1.22.6", None);
    let e = install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("--allow-unverified"), "{e}");
    assert!(!f.home.version_dir(&v("1.22.6")).exists());
    let opts = InstallOptions {
        allow_unverified: true,
        ..Default::default()
    };
    let out = install(&f.home, &source(&f), &v("1.22.6"), &opts, &Silent).unwrap();
    assert_eq!(out.checksum.unwrap().kind(), "unverified");
    assert_eq!(
        Receipt::read(&f.home.receipt_path(&v("1.22.6")))
            .unwrap()
            .checksum_source,
        "unverified"
    );
}

#[test]
fn wrong_version_file_is_refused() {
    let (f, _) = fixture("1.22.6", Some("SHA"));
    // The mirror serves a 1.22.6 archive under the 1.22.7 name.
    let p = crate::dist::Platform::current();
    fs::rename(
        f.mirror.join(p.archive_filename(&v("1.22.6"))),
        f.mirror.join(p.archive_filename(&v("1.22.7"))),
    )
    .unwrap();
    fs::rename(
        f.mirror
            .join(format!("{}.sha256", p.archive_filename(&v("1.22.6")))),
        f.mirror
            .join(format!("{}.sha256", p.archive_filename(&v("1.22.7")))),
    )
    .unwrap();
    let e = install(
        &f.home,
        &source(&f),
        &v("1.22.7"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("go1.22.6"), "{e}");
    assert!(!f.home.version_dir(&v("1.22.7")).exists());
    let kept = fs::read_dir(f.home.downloads_dir())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(kept, 0, "a failed install keeps nothing");
    assert_eq!(fs::read_dir(f.home.tmp_dir()).unwrap().count(), 0);
}

#[test]
fn cleans_leftovers_of_dead_processes_only() {
    let dir = tempfile::tempdir().unwrap();
    let home = GvrHome::at(dir.path().join("home"), dir.path().join("cache"));
    let live = Stage::new(&home).unwrap();
    let dead = home.tmp_dir().join("go-999999-dead.stage");
    fs::create_dir_all(dead.join("bin")).unwrap();
    fs::write(home.tmp_dir().join("go-999999-dead.partial"), b"x").unwrap();
    fs::write(home.tmp_dir().join("go-999999-dead.lock"), b"").unwrap();
    clean_tmp(&home);
    assert!(live.dir.is_dir(), "a held stage survives");
    assert!(!dead.exists());
    assert_eq!(fs::read_dir(home.tmp_dir()).unwrap().count(), 2);
    drop(live);
    assert_eq!(fs::read_dir(home.tmp_dir()).unwrap().count(), 0);
}

/// A gopls build staged by another process (its lock held) is not an install's
/// leftover: installing a Go version must not delete it.
#[test]
fn install_spares_a_live_gopls_staging() {
    let (f, _) = fixture("1.22.6", Some("SHA"));
    let gopls = Staging::new(&f.home.tmp_dir(), "gopls").unwrap();
    fs::create_dir(gopls.path()).unwrap();
    fs::write(gopls.path().join("gopls"), b"building").unwrap();
    install(
        &f.home,
        &source(&f),
        &v("1.22.6"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap();
    assert!(
        gopls.path().join("gopls").is_file(),
        "the gopls stage survives"
    );
    uninstall(&f.home, &v("1.22.6"), &Silent).unwrap();
    assert!(
        gopls.path().join("gopls").is_file(),
        "and survives an uninstall"
    );
}

#[test]
fn dot_zero_before_1_21_installs_under_gos_name() {
    // The mirror (sidecars only) has go1.20, as go.dev does; the user types 1.20.0.
    let (f, sha) = fixture("1.20", Some("SHA"));
    let out = install(
        &f.home,
        &source(&f),
        &v("1.20.0"),
        &InstallOptions::default(),
        &Silent,
    )
    .unwrap();
    assert_eq!(out.version.as_str(), "1.20");
    assert_eq!(out.path, f.home.versions_dir().join("1.20"));
    let receipt = Receipt::read(&f.home.receipt_path(&v("1.20"))).unwrap();
    assert_eq!((receipt.version.as_str(), receipt.sha256), ("1.20", sha));
    assert!(
        install(
            &f.home,
            &source(&f),
            &v("1.20.0"),
            &InstallOptions::default(),
            &Silent,
        )
        .unwrap()
        .already_installed
    );
    uninstall(&f.home, &v("1.20.0"), &Silent).unwrap();
    assert_eq!(fs::read_dir(f.home.versions_dir()).unwrap().count(), 0);
}

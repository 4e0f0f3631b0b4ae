//! The installed gopls builds under `$GVR_HOME/gopls/<vX>/go<version>/`: listing and
//! removal. A build directory appears only complete (binary and receipt, one rename).

use std::path::PathBuf;

use super::{binary_name, builds_of, ordering, GoplsError, GoplsVersion, InstalledGopls};
use crate::fsutil::FileLock;
use crate::home::GvrHome;
use crate::process::OsProcess;
use crate::version::GoVersion;

/// The name of the lock for one build (`gopls-v0.20.0-go1.24.11`).
pub(crate) fn lock_name(gopls: &GoplsVersion, go: &GoVersion) -> String {
    format!("gopls-{gopls}-go{go}")
}

/// Every installed build, newest gopls first, then newest Go first.
pub fn installed(home: &GvrHome) -> Result<Vec<InstalledGopls>, GoplsError> {
    let dir = home.gopls_dir();
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => {
            return Err(GoplsError::Io {
                action: "cannot list",
                path: dir,
                source: e,
            })
        }
    };
    for entry in rd.flatten() {
        if let Some(v) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<GoplsVersion>().ok())
        {
            out.extend(builds_of(&OsProcess, home, &v));
        }
    }
    out.sort_by(|a, b| ordering::cmp(&b.version, &a.version).then(b.go.cmp(&a.go)));
    Ok(out)
}

/// Removes every build of `gopls`, each under its build lock (so an install in flight
/// finishes first; `on_wait` is told which build it waits for), then the version
/// directory if that left it empty. A build committed meanwhile by a Go that was not
/// there when the listing was taken stays. Returns what was removed.
pub fn uninstall(
    home: &GvrHome,
    gopls: &GoplsVersion,
    on_wait: &dyn Fn(&GoVersion),
) -> Result<Vec<InstalledGopls>, GoplsError> {
    let dir = home.gopls_dir().join(gopls.as_str());
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(GoplsError::NotInstalled {
                version: gopls.clone(),
            })
        }
        Err(e) => return Err(GoplsError::io("cannot list", &dir)(e)),
    };
    // Every `go<version>` entry, a build or a leftover without a binary.
    let mut entries: Vec<(GoVersion, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let go = e.file_name().to_str()?.strip_prefix("go")?.parse().ok()?;
            Some((go, e.path()))
        })
        .collect();
    entries.sort_by(|a, b| b.0.cmp(&a.0));
    let mut removed = Vec::new();
    for (go, build_dir) in entries {
        let lock_path = home.lock_path(&lock_name(gopls, &go));
        let _lock = FileLock::acquire(&lock_path, || on_wait(&go))
            .map_err(GoplsError::io("cannot lock", &lock_path))?;
        let path = build_dir.join(binary_name());
        let was_build = path.is_file();
        remove_dir_atomically(home, &build_dir)?;
        if was_build {
            removed.push(InstalledGopls {
                version: gopls.clone(),
                go,
                path,
            });
        }
    }
    // Only an empty directory goes: rmdir fails if a build was committed meanwhile.
    let _ = std::fs::remove_dir(&dir);
    if removed.is_empty() {
        return Err(GoplsError::NotInstalled {
            version: gopls.clone(),
        });
    }
    Ok(removed)
}

/// Deletes `dir` so that it vanishes at once (see [`crate::fsutil::remove_dir_via_staging`]).
pub(crate) fn remove_dir_atomically(
    home: &GvrHome,
    dir: &std::path::Path,
) -> Result<(), GoplsError> {
    if !dir.exists() {
        return Ok(());
    }
    crate::fsutil::remove_dir_via_staging(&home.tmp_dir(), "gopls", dir)
        .map_err(GoplsError::io("cannot remove", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_uninstalls_builds() {
        let tmp = tempfile::tempdir().unwrap();
        let home = GvrHome::at(tmp.path().join("home"), tmp.path().join("cache"));
        for (v, g) in [
            ("v0.20.0", "1.24.11"),
            ("v0.20.0", "1.25.1"),
            ("v0.16.2", "1.22.10"),
        ] {
            let p =
                super::super::build_binary_path(&home, &v.parse().unwrap(), &g.parse().unwrap());
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        // Not a build: no binary inside.
        std::fs::create_dir_all(home.gopls_dir().join("v0.19.1/go1.24.2")).unwrap();
        let list: Vec<String> = installed(&home)
            .unwrap()
            .iter()
            .map(|b| format!("{} go{}", b.version, b.go))
            .collect();
        assert_eq!(
            list,
            ["v0.20.0 go1.25.1", "v0.20.0 go1.24.11", "v0.16.2 go1.22.10"]
        );

        let removed = uninstall(&home, &"v0.20.0".parse().unwrap(), &|_| {}).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(!home.gopls_dir().join("v0.20.0").exists());
        let e = uninstall(&home, &"v0.20.0".parse().unwrap(), &|_| {}).unwrap_err();
        assert!(
            e.to_string().contains("gopls v0.20.0 is not installed"),
            "{e}"
        );
        // A directory with no build in it is cleaned but reported as not installed.
        let e = uninstall(&home, &"v0.19.1".parse().unwrap(), &|_| {}).unwrap_err();
        assert!(matches!(e, GoplsError::NotInstalled { .. }));
        assert!(!home.gopls_dir().join("v0.19.1").exists());
    }

    #[test]
    fn uninstall_spares_a_build_committed_while_it_waits() {
        let tmp = tempfile::tempdir().unwrap();
        let home = GvrHome::at(tmp.path().join("home"), tmp.path().join("cache"));
        let v: GoplsVersion = "v0.20.0".parse().unwrap();
        let (old, new): (GoVersion, GoVersion) =
            ("1.24.11".parse().unwrap(), "1.25.1".parse().unwrap());
        let put = |go: &GoVersion| {
            let p = super::super::build_binary_path(&home, &v, go);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
            p
        };
        let old_bin = put(&old);
        // An install of the old build holds its lock: uninstall waits for it.
        let held = FileLock::acquire(&home.lock_path(&lock_name(&v, &old)), || {}).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let t = s.spawn(|| uninstall(&home, &v, &|go| tx.send(go.clone()).unwrap()));
            assert_eq!(rx.recv().unwrap(), old, "uninstall waits for the held lock");
            // Meanwhile another install commits a build by a Go uninstall did not see.
            let new_bin = put(&new);
            drop(held);
            let removed = t.join().unwrap().unwrap();
            assert_eq!(removed.len(), 1);
            assert_eq!(removed[0].go, old);
            assert!(!old_bin.exists());
            assert!(new_bin.is_file(), "the build committed meanwhile is kept");
        });
        assert_eq!(installed(&home).unwrap().len(), 1);
    }
}

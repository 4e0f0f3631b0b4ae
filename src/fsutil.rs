//! Small filesystem habits used everywhere: atomic small-file writes (from gvr-core),
//! cross-process locks that say when they wait, and the one naming and cleanup rule
//! for scratch space under `$GVR_HOME/tmp`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

pub use gvr_core::fsutil::{write_atomic, write_atomic_cache};

/// An exclusive advisory lock held until dropped (the OS releases it if the process dies,
/// so a kill -9 never leaves a stale lock behind).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Takes the lock at `path`, calling `on_wait` once first if another process holds it.
    pub fn acquire(path: &Path, on_wait: impl FnOnce()) -> io::Result<FileLock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        Ok(FileLock { _file: file })
    }
}

/// One operation's scratch space in a shared temp directory (`$GVR_HOME/tmp`), under the
/// rule every user of that directory follows, so that [`clean_staging`] can tell the
/// leftovers of a dead process from work in progress whoever made them:
///
/// - the name is `<kind>-<pid>-<rand>` (`kind` lowercase ASCII letters);
/// - its entries are `<name>` and `<name>.<suffix>` (files or directories);
/// - the sibling `<name>.lock` exists, locked, before any entry and is removed only
///   after them. The OS drops the lock when the process dies, however it dies.
///
/// Dropping it removes its entries, then the lock file.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    name: String,
    lock: Option<File>,
}

impl Staging {
    /// Claims a fresh name of `kind` in `dir` (created if missing). Creates no entry.
    pub fn new(dir: &Path, kind: &str) -> io::Result<Staging> {
        debug_assert!(!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase()));
        std::fs::create_dir_all(dir)?;
        loop {
            let name = format!("{kind}-{}-{}", std::process::id(), stage_rand());
            let lock_path = dir.join(format!("{name}.lock"));
            let file = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock_path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            match file.try_lock() {
                Ok(()) => {}
                // A cleaner took it between our create and our lock; it will unlink it.
                Err(std::fs::TryLockError::WouldBlock) => continue,
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            // Only we create this name, and a cleaner unlinks it only while holding the
            // lock: if it is still there now that we hold the lock, it is ours for good.
            if lock_path.exists() {
                return Ok(Staging {
                    dir: dir.to_path_buf(),
                    name,
                    lock: Some(file),
                });
            }
        }
    }

    /// `<kind>-<pid>-<rand>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<dir>/<name>`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// `<dir>/<name>.<suffix>`.
    pub fn entry(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}.{suffix}", self.name))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                let n = e.file_name();
                if n.to_str()
                    .and_then(staging_name)
                    .is_some_and(|(id, suffix)| id == self.name && suffix != Some("lock"))
                {
                    remove_entry(&e.path());
                }
            }
        }
        let _ = std::fs::remove_file(self.entry("lock"));
        self.lock = None;
    }
}

/// Removes the directory `target`: first one rename into a staging entry in `tmp` (it
/// vanishes from its place at once, and a crash mid-delete leaves only a leftover that
/// [`clean_staging`] removes later), then the delete.
pub fn remove_dir_via_staging(tmp: &Path, kind: &str, target: &Path) -> io::Result<()> {
    let stage = Staging::new(tmp, kind)?;
    let trash = stage.entry("trash");
    std::fs::rename(target, &trash)?;
    std::fs::remove_dir_all(&trash)
}

/// Removes from `dir` what dead processes left there under the [`Staging`] rule: the
/// entries of every name whose lock nobody holds (or whose lock file is gone), and
/// their lock files. Anything not named by the rule is left alone. Best effort.
pub fn clean_staging(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut by_name: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for e in rd.flatten() {
        let n = e.file_name();
        let Some((id, suffix)) = n.to_str().and_then(staging_name) else {
            continue;
        };
        let paths = by_name.entry(id.to_string()).or_default();
        if suffix != Some("lock") {
            paths.push(e.path());
        }
    }
    for (name, entries) in by_name {
        let lock_path = dir.join(format!("{name}.lock"));
        // Never created here: a lock file exists only while its owner's protocol says so.
        let lock = match OpenOptions::new().write(true).open(&lock_path) {
            Ok(f) => match f.try_lock() {
                Ok(()) => Some(f),
                Err(_) => continue, // its owner is alive (or we cannot tell): leave it
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(_) => continue,
        };
        for p in &entries {
            remove_entry(p);
        }
        if lock.is_some() {
            let _ = std::fs::remove_file(&lock_path);
        }
    }
}

/// The names in `dir` under the [`Staging`] rule whose lock nobody holds: what
/// [`clean_staging`] would remove.
pub fn dead_staging(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let names: std::collections::BTreeSet<String> = rd
        .flatten()
        .filter_map(|e| {
            let n = e.file_name();
            n.to_str()
                .and_then(staging_name)
                .map(|(id, _)| id.to_string())
        })
        .collect();
    names
        .into_iter()
        .filter(|name| {
            match OpenOptions::new()
                .write(true)
                .open(dir.join(format!("{name}.lock")))
            {
                Ok(f) => f.try_lock().is_ok(),
                Err(e) => e.kind() == io::ErrorKind::NotFound,
            }
        })
        .collect()
}

/// Splits a file name that follows the [`Staging`] rule into its name and suffix.
fn staging_name(file_name: &str) -> Option<(&str, Option<&str>)> {
    let (id, suffix) = match file_name.split_once('.') {
        Some((id, s)) => (id, Some(s)),
        None => (file_name, None),
    };
    let mut parts = id.split('-');
    let (kind, pid, rand) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = parts.next().is_none()
        && !kind.is_empty()
        && kind.bytes().all(|b| b.is_ascii_lowercase())
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !rand.is_empty()
        && rand.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some((id, suffix))
}

/// Hex that differs between calls in one process (the pid separates processes).
fn stage_rand() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{nanos:016x}{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn remove_entry(path: &Path) {
    let _ = match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("locks/x.lock");
        let first = FileLock::acquire(&p, || panic!("first must not wait")).unwrap();
        let p2 = p.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let _l = FileLock::acquire(&p2, || tx.send(()).unwrap()).unwrap();
        });
        rx.recv().unwrap(); // the second one said it waits
        drop(first);
        t.join().unwrap();
    }
    #[test]
    fn staging_names_follow_the_rule() {
        assert_eq!(staging_name("go-12-0af"), Some(("go-12-0af", None)));
        assert_eq!(
            staging_name("gopls-12-0af.stage"),
            Some(("gopls-12-0af", Some("stage")))
        );
        // Other people's files and older layouts are not ours to judge.
        for n in [
            "gopls-v0.20.0-go1.24.11-12-34-5",
            "gopls-trash-12-34-5",
            "12-abc-0.stage",
            "go-12",
            "go-x-0af",
            "Go-12-0af",
            "go-12-xyz",
            ".hidden",
        ] {
            assert_eq!(staging_name(n), None, "{n}");
        }
    }

    #[test]
    fn cleanup_spares_held_stagings_and_removes_dead_ones() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        // A long-running gopls-style stage and a dist-style one with suffixed entries.
        let gopls = Staging::new(&tmp, "gopls").unwrap();
        std::fs::create_dir(gopls.path()).unwrap();
        std::fs::write(gopls.path().join("gopls"), b"bin").unwrap();
        let go = Staging::new(&tmp, "go").unwrap();
        std::fs::create_dir(go.entry("stage")).unwrap();
        std::fs::write(go.entry("partial"), b"x").unwrap();
        // Leftovers of a dead process: its lock file is there but nobody holds it.
        std::fs::create_dir_all(tmp.join("go-999999-dead.stage/bin")).unwrap();
        std::fs::write(tmp.join("go-999999-dead.partial"), b"x").unwrap();
        std::fs::write(tmp.join("go-999999-dead.lock"), b"").unwrap();
        // Entries whose lock file is gone, an orphan lock, and a stranger.
        std::fs::create_dir(tmp.join("gopls-999998-beef")).unwrap();
        std::fs::write(tmp.join("go-999997-cafe.lock"), b"").unwrap();
        std::fs::create_dir(tmp.join("gopls-trash-1-2-3")).unwrap();

        clean_staging(&tmp);

        let mut left: Vec<String> = std::fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want = vec![
            gopls.name().to_string(),
            format!("{}.lock", gopls.name()),
            format!("{}.stage", go.name()),
            format!("{}.partial", go.name()),
            format!("{}.lock", go.name()),
            "gopls-trash-1-2-3".to_string(),
        ];
        want.sort();
        assert_eq!(left, want);
        assert!(
            gopls.path().join("gopls").is_file(),
            "a held stage survives"
        );

        drop(gopls);
        drop(go);
        let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
        assert_eq!(left.len(), 1, "dropping removes entries and lock files");
    }
}

//! The last verified tree head of each database, under `$GVR_HOME/sumdb/<name>/latest`
//! (the signed note as served), so a later tree must extend it.

use std::path::{Path, PathBuf};

use super::SumdbError;
use crate::fsutil::{write_atomic, FileLock};

pub struct TreeStore {
    dir: PathBuf,
}

impl TreeStore {
    /// Tree heads kept under `dir` (`$GVR_HOME/sumdb`).
    pub fn new(dir: impl Into<PathBuf>) -> TreeStore {
        TreeStore { dir: dir.into() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("latest")
    }

    /// Held while a served tree is checked against the stored one and saved, so two
    /// installs cannot each replace the other's newer head with an older one.
    pub(super) fn lock(&self, name: &str) -> Result<FileLock, SumdbError> {
        let path = self.dir.join(name).join("latest.lock");
        create_parent(&path)?;
        FileLock::acquire(&path, || {}).map_err(|source| SumdbError::Io { path, source })
    }

    pub fn load(&self, name: &str) -> Result<Option<Vec<u8>>, SumdbError> {
        let path = self.path(name);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SumdbError::Io { path, source }),
        }
    }

    pub(super) fn save(&self, name: &str, note: &[u8]) -> Result<(), SumdbError> {
        let path = self.path(name);
        create_parent(&path)?;
        write_atomic(&path, note).map_err(|source| SumdbError::Io { path, source })
    }
}

fn create_parent(path: &Path) -> Result<(), SumdbError> {
    let dir = path.parent().expect("has a parent");
    std::fs::create_dir_all(dir).map_err(|source| SumdbError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

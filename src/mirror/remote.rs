//! Checksum-database remotes for kits. While syncing, [`Collecting`] reads what the kit
//! already holds and asks the upstream database for the rest, keeping every new file
//! until the lookup that needed it has verified, then writing it into the kit. When
//! installing, [`KitRemote`] reads `sumdb/<name>/…` from the kit (a directory or an
//! http(s) URL) and refuses a file that differs from the kit's manifest, naming it.

use std::cell::RefCell;
use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::kit::{FileEntry, Kit};
use crate::dist::goproxy::{Http, HttpError};
use crate::dist::source::{file_url, Location};
use crate::dist::sumdb::{Remote, RemoteError};
use crate::fsutil::write_atomic;
use crate::report::Silent;

/// Kit first, then upstream; new files are held until [`Collecting::commit`].
pub struct Collecting<'a> {
    kit: &'a Kit,
    db: String,
    upstream: &'a dyn Remote,
    /// Files fetched from upstream, not yet in the kit.
    fresh: RefCell<BTreeMap<String, Vec<u8>>>,
}

impl<'a> Collecting<'a> {
    pub fn new(kit: &'a Kit, db: &str, upstream: &'a dyn Remote) -> Collecting<'a> {
        Collecting {
            kit,
            db: db.to_string(),
            upstream,
            fresh: RefCell::new(BTreeMap::new()),
        }
    }

    /// Writes the files fetched so far into the kit (after the lookups that used them
    /// verified), each atomically. Returns how many.
    pub fn commit(&self) -> std::io::Result<usize> {
        let fresh = std::mem::take(&mut *self.fresh.borrow_mut());
        for (rel, data) in &fresh {
            write_atomic(&self.kit.path(&Kit::sumdb_rel(&self.db, rel)), data)?;
        }
        Ok(fresh.len())
    }

    /// Forgets what was fetched (a lookup failed: nothing of it enters the kit).
    pub fn discard(&self) {
        self.fresh.borrow_mut().clear();
    }
}

impl Remote for Collecting<'_> {
    fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        if let Some(b) = self.fresh.borrow().get(path) {
            return Ok(b.clone());
        }
        // `latest` is only ever the kit's own choice, written when the sync seals.
        if path != "latest" {
            if let Ok(b) = std::fs::read(self.kit.path(&Kit::sumdb_rel(&self.db, path))) {
                return Ok(b);
            }
        }
        let b = self.upstream.get(path)?;
        self.fresh.borrow_mut().insert(path.to_string(), b.clone());
        Ok(b)
    }

    fn base(&self) -> String {
        self.upstream.base()
    }
}

/// The checksum-database material of a kit at `location`.
pub struct KitRemote<'h> {
    location: Location,
    db: String,
    http: &'h dyn Http,
    files: BTreeMap<String, FileEntry>,
}

impl<'h> KitRemote<'h> {
    pub fn new(
        location: Location,
        db: &str,
        http: &'h dyn Http,
        files: BTreeMap<String, FileEntry>,
    ) -> KitRemote<'h> {
        KitRemote {
            location,
            db: db.to_string(),
            http,
            files,
        }
    }

    fn url(&self, rel: &str) -> String {
        match &self.location {
            Location::Dir(d) => file_url(&d.join(rel)),
            Location::Http(b) => format!("{b}/{rel}"),
            Location::GoDev => unreachable!("a kit is a mirror"),
        }
    }
}

impl Remote for KitRemote<'_> {
    fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let rel = Kit::sumdb_rel(&self.db, path);
        let url = self.url(&rel);
        let body = match &self.location {
            Location::Dir(d) => match std::fs::read(d.join(&rel)) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(RemoteError::NotFound { url })
                }
                Err(e) => return Err(RemoteError::Unreachable(format!("reading {url}: {e}"))),
            },
            _ => match self.http.get(&url, &Silent) {
                Ok(b) => b,
                Err(HttpError::NotFound(_)) => return Err(RemoteError::NotFound { url }),
                Err(HttpError::Failed(why) | HttpError::Untrusted(why)) => {
                    return Err(RemoteError::Unreachable(why))
                }
            },
        };
        if let Some(want) = self.files.get(&rel) {
            let got = hex::encode(Sha256::digest(&body));
            if got != want.sha256 {
                // Reported as missing: the proof then fails naming this file.
                return Err(RemoteError::NotFound {
                    url: format!("{url} (its sha256 {got} differs from the kit's gvr-kit.json: the file was changed)"),
                });
            }
        }
        Ok(body)
    }

    fn base(&self) -> String {
        self.url(&format!("sumdb/{}", self.db))
    }
}

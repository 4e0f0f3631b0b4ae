//! The Go checksum database as a trust anchor: a signed, append-only log (a tiled
//! transparency log) of every module version's `h1:` hash. A lookup is believed only
//! when the tree head is signed by the configured key, the record is proven to be in
//! that tree from its tiles, and the tree is consistent with the last tree head gvr
//! stored for the database — a fork is a hard error.
//!
//! HTTP stays outside: the caller supplies a [`Remote`] that GETs paths under the
//! database's base URL (a proxy's `<proxy>/sumdb/<name>/`, or the database itself).

// Errors carry the signed notes and URLs users need; they happen once per command.
#![allow(clippy::result_large_err)]

pub mod config;
mod store;
mod tiles;
mod tree;

use std::path::PathBuf;

use signed_note::{Note, VerifierList};
use tlog_tiles::{record_hash, stored_hash_index, HashReader, TileHashReader};

pub use config::{Database, Setting};
pub use store::TreeStore;
pub use tree::Tree;

use tiles::RemoteTiles;

/// Go's sumdb servers serve tiles of height 8.
const TILE_HEIGHT: u8 = 8;

/// What went wrong reaching the database (not what it said).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    /// 404 / 410: the path does not exist there.
    #[error("{url} does not exist")]
    NotFound { url: String },
    /// The database could not be asked: offline, DNS, refused, timeouts, 5xx.
    #[error("{0}")]
    Unreachable(String),
}

/// GETs `path` (`lookup/…`, `tile/…`) under the database's base URL.
pub trait Remote {
    fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError>;
    /// The base URL, for messages.
    fn base(&self) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum SumdbError {
    #[error("invalid GOSUMDB `{value}`: {why}")]
    BadSetting { value: String, why: String },
    #[error("invalid checksum database key `{key}`: {why}")]
    BadKey { key: String, why: String },
    #[error("the checksum database {name} cannot be reached ({why})")]
    Unreachable { name: String, why: String },
    #[error("the checksum database {name} has no record of {module}@{version} ({url})")]
    NotFound {
        name: String,
        module: String,
        version: String,
        url: String,
    },
    #[error("the checksum database at {base} sent a malformed {what}; it is not a Go checksum database, or the connection was tampered with")]
    Malformed { base: String, what: String },
    #[error("the checksum database at {base} sent a tree head not signed by {name}'s key ({why}); refusing to trust it")]
    BadSignature {
        base: String,
        name: String,
        why: String,
    },
    #[error("the checksum database at {base} sent a record for {module}@{version} that its tree does not contain ({why}); refusing to trust it")]
    NotInTree {
        base: String,
        module: String,
        version: String,
        why: String,
    },
    #[error("SECURITY ERROR: the checksum database {name} at {base} served a tree that is inconsistent with the one gvr stored earlier ({why}); the database (or the path to it) is misbehaving.\nstored:\n{stored}\nserved:\n{served}\nnothing was installed; if you changed databases on purpose, remove {}", stored_path.display())]
    Fork {
        name: String,
        base: String,
        why: String,
        stored: String,
        served: String,
        stored_path: PathBuf,
    },
    #[error("the tree head gvr stored for {name} at {} is unreadable or no longer verifies ({why}); remove it to start over", path.display())]
    BadStore {
        name: String,
        path: PathBuf,
        why: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A verified answer: the module version's `h1:` hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// `h1:…` of the module zip.
    pub zip_h1: String,
    /// `h1:…` of the module's go.mod, when the record holds one (it always does in Go's
    /// database).
    pub mod_h1: Option<String>,
    /// The record's index in the log and the (verified) tree it was proven in.
    pub record: u64,
    pub tree_size: u64,
}

/// A client for one database, through one remote, remembering tree heads in `store`.
pub struct Client<'a> {
    db: &'a Database,
    remote: &'a dyn Remote,
    store: &'a TreeStore,
}

impl<'a> Client<'a> {
    pub fn new(db: &'a Database, remote: &'a dyn Remote, store: &'a TreeStore) -> Client<'a> {
        Client { db, remote, store }
    }

    /// Looks up `module@version`, checking signature, inclusion and consistency.
    pub fn lookup(&self, module: &str, version: &str) -> Result<Lookup, SumdbError> {
        let path = format!("lookup/{}@{}", escape(module), escape(version));
        let body = self.remote.get(&path).map_err(|e| match e {
            RemoteError::NotFound { url } => SumdbError::NotFound {
                name: self.db.name.clone(),
                module: module.to_string(),
                version: version.to_string(),
                url,
            },
            e => self.unreachable(e),
        })?;
        let malformed = |what: &str| SumdbError::Malformed {
            base: self.remote.base(),
            what: what.to_string(),
        };
        let (id, text, note) = parse_record(&body).ok_or_else(|| malformed("lookup response"))?;
        let served = self.open_tree(note)?;
        let latest = self.merge(&served, note)?;
        if id >= latest.size {
            return Err(SumdbError::NotInTree {
                base: self.remote.base(),
                module: module.to_string(),
                version: version.to_string(),
                why: format!("record {id} is past the tree's end ({})", latest.size),
            });
        }
        let tiles = RemoteTiles::new(self.remote, TILE_HEIGHT);
        let reader = TileHashReader::new(latest.size, latest.hash, &tiles);
        let proven = reader
            .read_hashes(&[stored_hash_index(0, id)])
            .map_err(|e| tiles.error(e));
        let proven = match proven {
            Ok(h) => h,
            Err(tiles::TileError::Remote(e @ RemoteError::Unreachable(_))) => {
                return Err(self.unreachable(e))
            }
            Err(tiles::TileError::Remote(RemoteError::NotFound { url })) => {
                return Err(SumdbError::NotInTree {
                    base: self.remote.base(),
                    module: module.to_string(),
                    version: version.to_string(),
                    why: format!("it does not serve {url}, which the proof needs"),
                })
            }
            Err(tiles::TileError::Proof(why)) => {
                return Err(SumdbError::NotInTree {
                    base: self.remote.base(),
                    module: module.to_string(),
                    version: version.to_string(),
                    why,
                })
            }
        };
        if proven.first() != Some(&record_hash(text)) {
            return Err(SumdbError::NotInTree {
                base: self.remote.base(),
                module: module.to_string(),
                version: version.to_string(),
                why: format!("record {id}'s hash differs from the one the tree proves"),
            });
        }
        let text = std::str::from_utf8(text).map_err(|_| malformed("record"))?;
        let prefix = format!("{module} {version} ");
        let zip_h1 = text
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .filter(|h| h.starts_with("h1:") && !h.contains(' '))
            .ok_or_else(|| malformed(&format!("record (no line for {module} {version})")))?;
        let mod_prefix = format!("{module} {version}/go.mod ");
        let mod_h1 = text
            .lines()
            .find_map(|l| l.strip_prefix(&mod_prefix))
            .filter(|h| h.starts_with("h1:") && !h.contains(' '))
            .map(str::to_string);
        Ok(Lookup {
            zip_h1: zip_h1.to_string(),
            mod_h1,
            record: id,
            tree_size: latest.size,
        })
    }

    /// Verifies a signed tree head from elsewhere (a kit's `latest`) and merges it with
    /// the stored one exactly as a lookup's tree is merged: a larger tree must extend
    /// the stored one. Returns the tree records are now proven in.
    pub fn merge_tree_note(&self, note: &[u8]) -> Result<Tree, SumdbError> {
        let served = self.open_tree(note)?;
        self.merge(&served, note)
    }

    /// Fetches the database's `latest` signed tree head and merges it
    /// ([`Client::merge_tree_note`]).
    pub fn update_latest(&self) -> Result<Tree, SumdbError> {
        let note = self.remote.get("latest").map_err(|e| self.unreachable(e))?;
        self.merge_tree_note(&note)
    }

    fn unreachable(&self, e: RemoteError) -> SumdbError {
        SumdbError::Unreachable {
            name: self.db.name.clone(),
            why: e.to_string(),
        }
    }

    /// Verifies a signed tree head with the database's key.
    fn open_tree(&self, note: &[u8]) -> Result<Tree, SumdbError> {
        open_tree(self.db, note).map_err(|why| match why {
            OpenError::Signature(why) => SumdbError::BadSignature {
                base: self.remote.base(),
                name: self.db.name.clone(),
                why,
            },
            OpenError::Malformed(what) => SumdbError::Malformed {
                base: self.remote.base(),
                what,
            },
            OpenError::Key(e) => e,
        })
    }

    /// Checks `served` against the stored tree head and keeps the larger; returns the
    /// tree to prove records in.
    fn merge(&self, served: &Tree, served_note: &[u8]) -> Result<Tree, SumdbError> {
        let _lock = self.store.lock(&self.db.name)?;
        let stored = match self.store.load(&self.db.name)? {
            None => {
                self.store.save(&self.db.name, served_note)?;
                return Ok(served.clone());
            }
            Some(note) => {
                let tree = open_tree(self.db, &note).map_err(|e| SumdbError::BadStore {
                    name: self.db.name.clone(),
                    path: self.store.path(&self.db.name),
                    why: match e {
                        OpenError::Signature(w) | OpenError::Malformed(w) => w,
                        OpenError::Key(e) => e.to_string(),
                    },
                })?;
                (tree, note)
            }
        };
        let (old, new) = if stored.0.size <= served.size {
            (&stored.0, served)
        } else {
            (served, &stored.0)
        };
        let tiles = RemoteTiles::new(self.remote, TILE_HEIGHT);
        let consistent = if old.size == new.size {
            Ok(old.hash == new.hash)
        } else {
            let reader = TileHashReader::new(new.size, new.hash, &tiles);
            tlog_tiles::tree_hash(old.size, &reader)
                .map(|h| h == old.hash)
                .map_err(|e| tiles.error(e))
        };
        let fork = |why: String| SumdbError::Fork {
            name: self.db.name.clone(),
            base: self.remote.base(),
            why,
            stored: String::from_utf8_lossy(&stored.1).into_owned(),
            served: String::from_utf8_lossy(served_note).into_owned(),
            stored_path: self.store.path(&self.db.name),
        };
        match consistent {
            Ok(true) => {}
            Ok(false) => {
                return Err(fork(format!(
                    "the tree of size {} has hash {} there, not {}",
                    old.size,
                    if old.size == new.size {
                        b64(&new.hash.0)
                    } else {
                        "a different one".to_string()
                    },
                    b64(&old.hash.0)
                )))
            }
            Err(tiles::TileError::Remote(e @ RemoteError::Unreachable(_))) => {
                return Err(self.unreachable(e))
            }
            // A database must prove its tree extends (or is part of) the stored one.
            Err(tiles::TileError::Remote(RemoteError::NotFound { url })) => {
                return Err(fork(format!(
                    "it cannot prove that the trees of size {} and {} agree: it does not serve {url}",
                    old.size, new.size
                )))
            }
            Err(tiles::TileError::Proof(why)) => return Err(fork(why)),
        }
        if served.size > stored.0.size {
            self.store.save(&self.db.name, served_note)?;
            Ok(served.clone())
        } else {
            Ok(stored.0)
        }
    }
}

enum OpenError {
    Signature(String),
    Malformed(String),
    Key(SumdbError),
}

/// Verifies `note` with `db`'s key and parses the tree it signs.
fn open_tree(db: &Database, note: &[u8]) -> Result<Tree, OpenError> {
    let verifier = db.verifier().map_err(OpenError::Key)?;
    let parsed = Note::from_bytes(note)
        .map_err(|e| OpenError::Malformed(format!("signed tree head ({e})")))?;
    parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| OpenError::Signature(e.to_string()))?;
    Tree::parse(parsed.text()).ok_or_else(|| OpenError::Malformed("tree head".into()))
}

/// `<id>\n<record text>\n<signed tree note>` (Go's tlog.ParseRecord).
fn parse_record(msg: &[u8]) -> Option<(u64, &[u8], &[u8])> {
    let nl = msg.iter().position(|&b| b == b'\n')?;
    let id_text = std::str::from_utf8(&msg[..nl]).ok()?;
    if id_text.is_empty() || !id_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: u64 = id_text.parse().ok()?;
    let rest = &msg[nl + 1..];
    let end = rest.windows(2).position(|w| w == b"\n\n")?;
    let text = &rest[..end + 1];
    // Valid record text: UTF-8 without control characters other than newline.
    let s = std::str::from_utf8(text).ok()?;
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return None;
    }
    Some((id, text, &rest[end + 2..]))
}

/// Module path escaping for URLs (golang.org/x/mod/module.EscapePath): an upper-case
/// letter becomes `!` and its lower case.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[cfg(test)]
#[path = "../../../tests/it/support/sumdb_log.rs"]
pub(crate) mod testdb;

#[cfg(test)]
mod tests;

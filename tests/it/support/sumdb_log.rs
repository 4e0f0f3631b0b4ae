//! A checksum database for tests: an ed25519 key, a tiled log of go.sum records and
//! the server side of Go's sumdb protocol (`supported`, `latest`, `lookup/…`,
//! `tile/…`), answering paths with bytes so any server (loopback HTTP, a unit test's
//! fake remote) can serve it. Shared by the unit tests (src/dist/sumdb) and the
//! integration tests.

#![allow(dead_code)]

use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};
use tlog_tiles::{stored_hashes, tree_hash, Hash, HashReader, Tile};

const HEIGHT: u8 = 8;

/// A log signed by one key.
#[derive(Clone)]
pub struct TestLog {
    name: String,
    key: SigningKey,
    key_id: u32,
    records: Vec<(String, String, Vec<u8>)>,
    hashes: Vec<Hash>,
}

struct Stored<'a>(&'a [Hash]);

impl HashReader for Stored<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl TestLog {
    /// A log named `name` (a host name) with a key derived from `seed`.
    pub fn new(name: &str, seed: u8) -> TestLog {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let mut pubkey = vec![1u8];
        pubkey.extend_from_slice(key.verifying_key().as_bytes());
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update(b"\n");
        h.update(&pubkey);
        let d = h.finalize();
        TestLog {
            name: name.to_string(),
            key,
            key_id: u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
            records: Vec::new(),
            hashes: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>+<hash>+<keydata>`, the GOSUMDB value that trusts this log.
    pub fn vkey(&self) -> String {
        let mut pubkey = vec![1u8];
        pubkey.extend_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            base64::engine::general_purpose::STANDARD.encode(pubkey)
        )
    }

    pub fn size(&self) -> u64 {
        self.records.len() as u64
    }

    /// Appends the go.sum lines of `module@version` (zip hash `h1`); returns its id.
    pub fn add(&mut self, module: &str, version: &str, h1: &str) -> u64 {
        let text = format!(
            "{module} {version} {h1}\n{module} {version}/go.mod h1:8wlg68NqwW7eMnI1aABk/C2pDYXj8mrMY4TyRfiLeS0=\n"
        );
        self.add_text(module, version, text.into_bytes())
    }

    /// Appends filler records (other modules), so trees span several tiles.
    pub fn add_filler(&mut self, n: usize) {
        for i in 0..n {
            let m = format!("example.com/filler{}", self.records.len());
            self.add(
                &m,
                &format!("v0.0.{i}"),
                "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            );
        }
    }

    fn add_text(&mut self, module: &str, version: &str, text: Vec<u8>) -> u64 {
        let n = self.size();
        let new = stored_hashes(n, &text, &Stored(&self.hashes)).expect("log hashes");
        self.hashes.extend(new);
        self.records
            .push((module.to_string(), version.to_string(), text));
        n
    }

    fn tree_text(&self, size: u64) -> String {
        let h = tree_hash(size, &Stored(&self.hashes)).expect("tree hash");
        format!(
            "go.sum database tree\n{size}\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(h.0)
        )
    }

    /// The signed tree head for the first `size` records.
    pub fn signed_tree_at(&self, size: u64) -> Vec<u8> {
        self.sign(&self.tree_text(size))
    }

    /// Signs `text` as a note by this log's key.
    pub fn sign(&self, text: &str) -> Vec<u8> {
        let sig = self.key.sign(text.as_bytes());
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
        .into_bytes()
    }

    /// The module and version of record `id`.
    pub fn record_key(&self, id: usize) -> Option<(String, String)> {
        self.records.get(id).map(|(m, v, _)| (m.clone(), v.clone()))
    }

    /// The answer to `lookup/<module>@<version>`.
    pub fn lookup(&self, module: &str, version: &str) -> Option<Vec<u8>> {
        let (id, (_, _, text)) = self
            .records
            .iter()
            .enumerate()
            .find(|(_, (m, v, _))| m == module && v == version)?;
        let mut out = format!("{id}\n").into_bytes();
        out.extend_from_slice(text);
        out.push(b'\n');
        out.extend(self.signed_tree_at(self.size()));
        Some(out)
    }

    /// A hash tile of the current tree (full, or the partial one at its edge).
    pub fn tile(&self, path: &str) -> Option<Vec<u8>> {
        let t = Tile::from_path(path).ok()?;
        if t.is_data() || t.height() != HEIGHT {
            return None;
        }
        // The tile's last hash must be complete in the current tree.
        let span = 1u64 << (HEIGHT as u32 * t.level() as u32);
        let end = ((t.level_index() << HEIGHT) + t.width() as u64) * span;
        if end > self.size() {
            return None;
        }
        t.read_data(&Stored(&self.hashes)).ok()
    }

    /// Answers a path under `<proxy>/sumdb/<name>/`.
    pub fn serve(&self, path: &str) -> Option<Vec<u8>> {
        if path == "supported" {
            return Some(Vec::new());
        }
        if path == "latest" {
            return Some(self.signed_tree_at(self.size()));
        }
        if let Some(mv) = path.strip_prefix("lookup/") {
            let (m, v) = mv.rsplit_once('@')?;
            return self.lookup(m, v);
        }
        if path.starts_with("tile/") {
            return self.tile(path);
        }
        None
    }
}

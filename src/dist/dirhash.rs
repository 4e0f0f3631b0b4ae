//! Go's `h1:` directory hash, the value the checksum database records for a module zip:
//! the base64 SHA-256 of a summary listing every file as `<sha256 hex>  <name>\n`,
//! sorted by name (golang.org/x/mod/sumdb/dirhash, Hash1).

use base64::Engine;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DirHashError {
    #[error("file name {0:?} contains a newline; Go's h1 hash cannot describe it")]
    Newline(String),
    #[error("file {0:?} is listed twice")]
    Duplicate(String),
}

/// Collects `(name, sha256)` pairs in any order and yields the `h1:` hash.
#[derive(Debug, Default)]
pub struct Hash1 {
    files: Vec<(String, [u8; 32])>,
}

impl Hash1 {
    pub fn new() -> Hash1 {
        Hash1::default()
    }

    /// Adds one file by the digest of its content.
    pub fn add(&mut self, name: String, sha256: [u8; 32]) {
        self.files.push((name, sha256));
    }

    /// Adds one file by its content.
    pub fn add_bytes(&mut self, name: String, content: &[u8]) {
        self.add(name, Sha256::digest(content).into());
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// `h1:<base64>`. Go sorts names as byte strings, as `sort.Strings` does.
    pub fn finish(mut self) -> Result<String, DirHashError> {
        self.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut summary = Sha256::new();
        for (i, (name, digest)) in self.files.iter().enumerate() {
            if name.contains('\n') {
                return Err(DirHashError::Newline(name.clone()));
            }
            if i > 0 && self.files[i - 1].0 == *name {
                return Err(DirHashError::Duplicate(name.clone()));
            }
            summary.update(hex::encode(digest).as_bytes());
            summary.update(b"  ");
            summary.update(name.as_bytes());
            summary.update(b"\n");
        }
        Ok(format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(summary.finalize())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's own test vector (dirhash TestHash1): two files, "xyz" and "abc".
    #[test]
    fn matches_gos_hash1() {
        let mut h = Hash1::new();
        h.add_bytes("xyz".into(), b"data for xyz");
        h.add_bytes("abc".into(), b"data for abc");
        // sha256("<hex(abc)>  abc\n<hex(xyz)>  xyz\n"), as Go computes it.
        let expected = {
            let summary = format!(
                "{}  abc\n{}  xyz\n",
                hex::encode(Sha256::digest(b"data for abc")),
                hex::encode(Sha256::digest(b"data for xyz"))
            );
            format!(
                "h1:{}",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary))
            )
        };
        assert_eq!(h.finish().unwrap(), expected);
    }

    /// No files: the hash of an empty summary. Names Go cannot hash are refused.
    #[test]
    fn empty_and_bad_names() {
        assert_eq!(
            Hash1::new().finish().unwrap(),
            format!(
                "h1:{}",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b""))
            )
        );
        let mut h = Hash1::new();
        h.add_bytes("a\nb".into(), b"");
        assert!(matches!(h.finish(), Err(DirHashError::Newline(_))));
        let mut h = Hash1::new();
        h.add_bytes("a".into(), b"1");
        h.add_bytes("a".into(), b"2");
        assert!(matches!(h.finish(), Err(DirHashError::Duplicate(_))));
    }
}

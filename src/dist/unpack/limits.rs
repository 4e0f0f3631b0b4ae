//! Bounds on what an archive may unpack to. They are checked while it streams, before
//! its sha256 is known, so a hostile mirror cannot fill the disk or memory first.
//!
//! Real Go SDKs: the tar.gz unpacks to about 3.2× its size and the zip to about 2.8×
//! (1.21–1.24), with 10–12 thousand entries and names under 160 bytes.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Unpacked bytes allowed per archive byte, when the archive's size is known.
pub const RATIO: u64 = 10;
/// The byte limit never goes below this (small archives, tests, tiny ports)…
pub const FLOOR_BYTES: u64 = 64 << 20;
/// …nor above this, and it is the limit when the archive's size is unknown.
pub const MAX_BYTES: u64 = 4 << 30;
/// Entries (files, directories, links, tar metadata entries).
pub const MAX_ENTRIES: u64 = 100_000;
/// Bytes in one entry's name, `go/` included.
pub const MAX_NAME: usize = 1024;
/// Bytes in one tar metadata entry (GNU long name or link, PAX header); these are read
/// into memory whole.
pub const MAX_META: u64 = 64 << 10;

/// The limits for one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total unpacked bytes: file contents, and for tar.gz the whole inflated stream.
    pub bytes: u64,
    /// The archive size the byte limit was derived from.
    pub archive_size: Option<u64>,
}

impl Limits {
    /// [`RATIO`] × `archive_size`, kept between [`FLOOR_BYTES`] and [`MAX_BYTES`].
    pub fn for_archive(archive_size: Option<u64>) -> Limits {
        let bytes = archive_size
            .map(|s| s.saturating_mul(RATIO).clamp(FLOOR_BYTES, MAX_BYTES))
            .unwrap_or(MAX_BYTES);
        Limits {
            bytes,
            archive_size,
        }
    }

    /// The byte limit and where it comes from, for error messages.
    pub fn describe_bytes(&self) -> String {
        let basis = match self.archive_size {
            Some(s) => format!(
                "{RATIO}× the {} archive, at least {} and at most {}",
                human(s),
                human(FLOOR_BYTES),
                human(MAX_BYTES)
            ),
            None => "the archive's size is unknown".to_string(),
        };
        format!("{} ({basis})", human(self.bytes))
    }
}

/// `1536` → `1.5 KiB`.
pub fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Passes bytes through until more than `limit` went by, then fails (and says so in
/// `tripped`, since the tar parser replaces the error with its own).
pub struct Capped<R> {
    inner: R,
    left: u64,
    tripped: Arc<AtomicBool>,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, limit: u64) -> (Capped<R>, Arc<AtomicBool>) {
        let tripped = Arc::new(AtomicBool::new(false));
        let r = Capped {
            inner,
            left: limit,
            tripped: tripped.clone(),
        };
        (r, tripped)
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the limit tells "exactly at" from "over".
        let want = buf
            .len()
            .min(self.left.saturating_add(1).min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.tripped.store(true, Ordering::Relaxed);
            return Err(io::Error::other("the unpacked-size limit was reached"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_limit_follows_the_archive_size_within_bounds() {
        assert_eq!(Limits::for_archive(None).bytes, MAX_BYTES);
        assert_eq!(Limits::for_archive(Some(1000)).bytes, FLOOR_BYTES);
        assert_eq!(Limits::for_archive(Some(70 << 20)).bytes, 700 << 20);
        assert_eq!(Limits::for_archive(Some(1 << 40)).bytes, MAX_BYTES);
        // A real 1.24 tar.gz (76 MB) unpacks to 245 MB: far inside.
        assert!(Limits::for_archive(Some(76_060_666)).bytes > 245_084_160 * 2);
        assert_eq!(human(64 << 10), "64 KiB");
        assert_eq!(human(4 << 30), "4 GiB");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(12), "12 bytes");
    }

    #[test]
    fn capped_reader_trips_only_past_the_limit() {
        let data = [7u8; 100];
        let (mut r, tripped) = Capped::new(&data[..], 100);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 100);
        assert!(!tripped.load(Ordering::Relaxed));
        let (mut r, tripped) = Capped::new(&data[..], 99);
        assert!(r.read_to_end(&mut Vec::new()).is_err());
        assert!(tripped.load(Ordering::Relaxed));
    }
}

//! Safe unpacking of Go SDK archives (tar.gz and zip, told apart by magic bytes, not by
//! file name) into a staging directory, with the `go/` prefix stripped.
//!
//! Refused, with the entry named: absolute paths, `..`, anything outside `go/`, links
//! that are absolute or climb with `..`, anything written through a link, `go/.gvr`
//! (gvr's receipt), device and fifo nodes, and archives past the [`limits`] (unpacked
//! bytes, entries, name length). setuid/setgid/sticky bits are dropped; exec bits are
//! kept. Entries are created without ever following a link ([`writer`]), names are
//! compared case-folded where the filesystem folds ([`tree`]), and the finished tree's
//! links are checked on disk before it may be committed ([`verify`]).

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use crate::version::GoVersion;

pub mod limits;
mod tarball;
mod tree;
mod verify;
mod writer;
mod zipfile;

pub use limits::Limits;
use tree::Tree;
use writer::{Op, Writer};

/// Inflated bytes are read in blocks this large (tar headers are 512 bytes; reading them
/// straight from the decoder would run inflate in tiny steps).
const INFLATE_BUF: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Zip,
}

impl Format {
    /// `1f 8b` is gzip, `PK 03 04` a zip (its first local header).
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.len() >= 2 && head[..2] == [0x1f, 0x8b] {
            Some(Format::TarGz)
        } else if head.len() >= 4 && head[..4] == *b"PK\x03\x04" {
            Some(Format::Zip)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("refusing archive entry `{entry}`: {why}")]
    Refused { entry: String, why: String },
    /// One of the [`limits`], with which and why.
    #[error("refusing the archive: {0}")]
    Limit(String),
    #[error("the archive is corrupt: {0}")]
    Corrupt(String),
    #[error("writing {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("the archive has no go/VERSION file, so it is not a Go SDK")]
    NoVersionFile,
    /// The file writer failed; its own error is reported instead.
    #[error("the file writer stopped")]
    WriterStopped,
    #[error("the archive holds {found}, not go{wanted}; the mirror serves the wrong file under this name")]
    WrongVersion { wanted: GoVersion, found: String },
}

fn refused(entry: &str, why: impl Into<String>) -> UnpackError {
    UnpackError::Refused {
        entry: entry.to_string(),
        why: why.into(),
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnpackStats {
    pub files: u64,
    pub bytes: u64,
}

/// Unpacks a gzip-compressed tar stream into `dest` (which must exist and be empty),
/// then reads the stream to its end so the gzip trailer (CRC, length) is checked.
/// Inflating and checking happen on this thread, writing files on another.
pub fn unpack_tar_gz<R: Read>(
    reader: R,
    dest: &Path,
    limits: Limits,
) -> Result<UnpackStats, UnpackError> {
    with_writer(dest, limits, |tree| tarball::read(reader, tree, &limits))
}

/// Unpacks the zip archive at `path` into `dest`; the byte limit follows the file's size.
pub fn unpack_zip(path: &Path, dest: &Path) -> Result<UnpackStats, UnpackError> {
    let file = File::open(path).map_err(|source| UnpackError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut zip = zip::ZipArchive::new(io::BufReader::with_capacity(INFLATE_BUF, file))
        .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
    with_writer(dest, Limits::for_archive(size), |tree| {
        zipfile::read(&mut zip, tree)
    })
}

/// Runs `parse` with a [`Tree`] whose checked operations a second thread carries out,
/// then checks the finished tree's links. The writer's own error (disk full,
/// permission) wins over the "writer stopped" it causes on this side.
fn with_writer(
    dest: &Path,
    limits: Limits,
    parse: impl FnOnce(&mut Tree) -> Result<(), UnpackError>,
) -> Result<UnpackStats, UnpackError> {
    let fold = tree::folds_case(dest);
    let mut writer = Writer::new(dest)?;
    let (parsed, written, links) = std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Op>(OPS_IN_FLIGHT);
        let handle = s.spawn(move || {
            for op in rx {
                writer.apply(op)?;
            }
            writer.close();
            Ok(writer.stats)
        });
        let mut tree = Tree::new(tx, limits, fold);
        let parsed = parse(&mut tree);
        let links = tree.made_links();
        drop(tree); // closes the channel: the writer finishes what it was sent
        let written: Result<UnpackStats, UnpackError> = handle
            .join()
            .unwrap_or_else(|_| Err(UnpackError::Corrupt("the file writer panicked".into())));
        (parsed, written, links)
    });
    let stats = match (parsed, written) {
        (Ok(()), written) => written?,
        (Err(UnpackError::WriterStopped), Err(w)) => return Err(w),
        (Err(e), _) => return Err(e),
    };
    if links {
        verify::links_stay_inside(dest)?;
    }
    Ok(stats)
}

/// Operations in flight to the writer; file data travels in blocks of at most
/// [`INFLATE_BUF`], so this bounds memory.
const OPS_IN_FLIGHT: usize = 32;

/// Checks that `dest/VERSION`'s first line names `wanted` (by Go's ordering: `go1.20`
/// is `1.20.0`).
pub fn check_version_file(dest: &Path, wanted: &GoVersion) -> Result<(), UnpackError> {
    let path = dest.join("VERSION");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(UnpackError::NoVersionFile),
        Err(source) => return Err(UnpackError::Io { path, source }),
    };
    let first = text.lines().next().unwrap_or("").trim();
    if first.starts_with("go") && first.parse::<GoVersion>().is_ok_and(|v| v == *wanted) {
        Ok(())
    } else {
        Err(UnpackError::WrongVersion {
            wanted: wanted.clone(),
            found: first.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;

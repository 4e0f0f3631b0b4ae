//! The tee: every archive byte, once and in order, to the digest, the partial file
//! (the copy kept as `downloads/<sha256>`) and the unpacker. It runs on the download
//! thread, so hashing and the file copy keep pace with the network, while a tar.gz is
//! inflated and written by a second thread fed through a bounded channel of large
//! chunks. Each stage fails with its own error.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use sha2::{Digest, Sha256};

use crate::dist::fetch::Sink;
use crate::dist::unpack::{self, Format, UnpackError, UnpackStats};

/// Chunks in flight between the download and the unpack thread (× the fetcher's
/// chunk size): enough to ride out jitter, small enough to keep memory flat.
const CHANNEL_DEPTH: usize = 16;

#[derive(Debug)]
pub(super) enum TeeError {
    /// Writing the archive's copy failed (disk full, permissions).
    Partial { path: PathBuf, source: io::Error },
    /// The unpacker stopped taking bytes: it failed, and [`Feed::join`] says why.
    UnpackerStopped,
}

/// The archive's copy on disk, written as the bytes arrive.
pub(super) struct PartialFile<'p> {
    path: &'p Path,
    file: File,
}

impl<'p> PartialFile<'p> {
    pub fn create(path: &'p Path) -> Result<PartialFile<'p>, TeeError> {
        let file = File::create(path).map_err(|source| TeeError::Partial {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(PartialFile { path, file })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), TeeError> {
        self.file
            .write_all(bytes)
            .map_err(|source| TeeError::Partial {
                path: self.path.to_path_buf(),
                source,
            })
    }
}

/// What the unpacker thread returns.
type Unpacked = Result<UnpackStats, UnpackError>;

/// Hands a tar.gz to an unpacker thread as it arrives. A zip keeps its directory at the
/// end, so it is unpacked afterwards from its file: the feed only notes the format.
pub(super) struct Feed<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    dest: &'env Path,
    format: Option<Format>,
    tx: Option<SyncSender<Vec<u8>>>,
    unpacker: Option<ScopedJoinHandle<'scope, Unpacked>>,
}

impl<'scope, 'env> Feed<'scope, 'env> {
    pub fn new(scope: &'scope Scope<'scope, 'env>, dest: &'env Path) -> Feed<'scope, 'env> {
        Feed {
            scope,
            dest,
            format: None,
            tx: None,
            unpacker: None,
        }
    }

    fn send(&mut self, chunk: &[u8]) -> Result<(), TeeError> {
        if self.format.is_none() {
            // The fetcher delivers nothing before the magic number checks out.
            self.format = Format::sniff(chunk);
            if self.format == Some(Format::TarGz) {
                let (tx, rx) = sync_channel::<Vec<u8>>(CHANNEL_DEPTH);
                let dest = self.dest;
                self.unpacker = Some(
                    self.scope
                        .spawn(move || unpack::unpack_tar_gz(ChanReader::new(rx), dest)),
                );
                self.tx = Some(tx);
            }
        }
        match &self.tx {
            Some(tx) => tx
                .send(chunk.to_vec())
                .map_err(|_| TeeError::UnpackerStopped),
            None => Ok(()),
        }
    }

    /// The archive's format, once its first bytes went by.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Ends the stream and waits for the unpacker (`None`: none was started).
    pub fn join(&mut self) -> Option<Unpacked> {
        self.tx = None;
        self.unpacker.take().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(UnpackError::Corrupt("the unpacker panicked".into())))
        })
    }
}

/// The [`Sink`] a download or a local copy writes into.
pub(super) struct Tee<'p, 'scope, 'env> {
    digest: Sha256,
    partial: Option<PartialFile<'p>>,
    feed: Feed<'scope, 'env>,
}

impl<'p, 'scope, 'env> Tee<'p, 'scope, 'env> {
    pub fn new(partial: Option<PartialFile<'p>>, feed: Feed<'scope, 'env>) -> Self {
        Tee {
            digest: Sha256::new(),
            partial,
            feed,
        }
    }

    /// The digest of everything that went through (hex), and the feed to finish. The
    /// partial file is closed: not fsync'd, since a crash loses a cache entry at worst
    /// and the digest guards its reuse.
    pub fn into_parts(self) -> (String, Feed<'scope, 'env>) {
        (hex::encode(self.digest.finalize()), self.feed)
    }
}

impl Sink for Tee<'_, '_, '_> {
    type Error = TeeError;

    fn accept(&mut self, bytes: &[u8]) -> Result<(), TeeError> {
        self.digest.update(bytes);
        if let Some(p) = self.partial.as_mut() {
            p.write(bytes)?;
        }
        self.feed.send(bytes)
    }
}

/// A `Read` over the chunks the download thread sends.
struct ChanReader {
    rx: Receiver<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl ChanReader {
    fn new(rx: Receiver<Vec<u8>>) -> ChanReader {
        ChanReader {
            rx,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChanReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

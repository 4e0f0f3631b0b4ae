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
use crate::dist::unpack::{self, Format, Limits, UnpackError, UnpackStats};

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
    /// What the unpacker may write, from the size the source announced.
    limits: Limits,
    format: Option<Format>,
    tx: Option<SyncSender<Vec<u8>>>,
    unpacker: Option<ScopedJoinHandle<'scope, Unpacked>>,
}

impl<'scope, 'env> Feed<'scope, 'env> {
    pub fn new(
        scope: &'scope Scope<'scope, 'env>,
        dest: &'env Path,
        limits: Limits,
    ) -> Feed<'scope, 'env> {
        Feed {
            scope,
            dest,
            limits,
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
                let (dest, limits) = (self.dest, self.limits);
                self.unpacker = Some(
                    self.scope
                        .spawn(move || unpack::unpack_tar_gz(ChanReader::new(rx), dest, limits)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_path(name).unwrap();
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn every_byte_reaches_the_digest_the_copy_and_the_unpacker() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("stage");
        std::fs::create_dir(&dest).unwrap();
        let copy = dir.path().join("partial");
        let archive = tar_gz(&[("go/VERSION", b"go1.22.6\n"), ("go/bin/go", b"#!")]);
        let (sha, unpacked) = std::thread::scope(|s| {
            let mut tee = Tee::new(
                Some(PartialFile::create(&copy).unwrap()),
                Feed::new(s, &dest, Limits::for_archive(None)),
            );
            for piece in archive.chunks(7) {
                tee.accept(piece).unwrap();
            }
            let (sha, mut feed) = tee.into_parts();
            assert_eq!(feed.format(), Some(Format::TarGz));
            (sha, feed.join())
        });
        assert_eq!(sha, hex::encode(Sha256::digest(&archive)));
        assert_eq!(std::fs::read(&copy).unwrap(), archive);
        unpacked.expect("an unpacker ran").unwrap();
        assert_eq!(
            std::fs::read(dest.join("VERSION")).unwrap(), // the `go/` prefix is the stage itself
            b"go1.22.6\n"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_the_partial_files_error() {
        let dir = tempfile::tempdir().unwrap();
        let full = Path::new("/dev/full");
        let e = std::thread::scope(|s| {
            let mut tee = Tee::new(
                Some(PartialFile::create(full).unwrap()),
                Feed::new(s, dir.path(), Limits::for_archive(None)),
            );
            let e = tee.accept(&[0x1f, 0x8b, 8, 0]).unwrap_err();
            tee.into_parts().1.join();
            e
        });
        match e {
            TeeError::Partial { path, source } => {
                assert_eq!(path, full);
                assert_eq!(source.raw_os_error(), Some(28), "ENOSPC: {source}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unpacker_that_fails_stops_the_tee_and_keeps_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (stopped, unpacked) = std::thread::scope(|s| {
            let mut tee = Tee::new(None, Feed::new(s, dir.path(), Limits::for_archive(None)));
            // A gzip header, then garbage: the inflater gives up, the channel closes.
            let mut stopped = None;
            for i in 0..10_000u32 {
                let chunk: Vec<u8> = if i == 0 {
                    vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]
                } else {
                    vec![0xa5; 4096]
                };
                if let Err(e) = tee.accept(&chunk) {
                    stopped = Some(e);
                    break;
                }
            }
            (stopped, tee.into_parts().1.join())
        });
        assert!(
            matches!(stopped, Some(TeeError::UnpackerStopped)),
            "{stopped:?}"
        );
        assert!(matches!(unpacked, Some(Err(_))), "{unpacked:?}");
    }
}

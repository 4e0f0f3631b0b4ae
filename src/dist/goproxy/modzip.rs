//! Unpacks a toolchain module zip into a working SDK, as the go command makes one of
//! it: the module prefix stripped, `_go.mod` back to `go.mod`, file modes from Go's
//! release tool (executables in `bin/` and `pkg/tool/`). Every file is hashed while it
//! is written, so the zip's `h1:` comes out of the same pass; the entries are split
//! over a few threads, each with its own handle on the zip.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::dist::dirhash::{DirHashError, Hash1};
use crate::dist::distpack;

/// Go's limit on a module zip, compressed.
const MAX_ZIP: u64 = 500 << 20;
/// A generous cap on what a toolchain unpacks to (Go 1.24: ~280 MB).
const MAX_UNPACKED: u64 = 2 << 30;

#[derive(Debug, thiserror::Error)]
pub enum ModZipError {
    #[error("the module zip is corrupt: {0}")]
    Corrupt(String),
    #[error("refusing module zip entry `{entry}`: {why}")]
    Refused { entry: String, why: String },
    #[error("the module zip is {0} bytes, over Go's limit of 500 MiB")]
    TooLarge(u64),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Hash(#[from] DirHashError),
}

/// What came out: the zip's `h1:` and how much was written.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub h1: String,
    pub files: usize,
    pub bytes: u64,
}

fn refused(entry: &str, why: &str) -> ModZipError {
    ModZipError::Refused {
        entry: entry.to_string(),
        why: why.to_string(),
    }
}

/// Unpacks the module zip at `zip_path` (every entry under `prefix`, e.g.
/// `golang.org/toolchain@v0.0.1-go1.22.6.linux-amd64/`) into the empty directory `dest`.
pub fn unpack(zip_path: &Path, prefix: &str, dest: &Path) -> Result<Unpacked, ModZipError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ModZipError::Io { path, source }
    };
    let len = fs::metadata(zip_path).map_err(io_err(zip_path))?.len();
    if len > MAX_ZIP {
        return Err(ModZipError::TooLarge(len));
    }
    let open = || -> Result<zip::ZipArchive<PosReader>, ModZipError> {
        let f = File::open(zip_path).map_err(io_err(zip_path))?;
        zip::ZipArchive::new(PosReader::new(f)).map_err(|e| ModZipError::Corrupt(e.to_string()))
    };
    let mut first = open()?;
    let mut total = 0u64;
    let mut order = Vec::with_capacity(first.len());
    for i in 0..first.len() {
        let e = first
            .by_index_raw(i)
            .map_err(|e| ModZipError::Corrupt(e.to_string()))?;
        total = total.saturating_add(e.size());
        order.push((e.compressed_size(), i));
    }
    // In file order (each thread's read buffer then covers its next entries), taken by
    // whichever thread is free.
    let order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // The sizes in the directory are checked against what is read, below.
    if total > MAX_UNPACKED {
        return Err(refused(
            zip_path.to_string_lossy().as_ref(),
            "it unpacks to more than 2 GiB",
        ));
    }
    // One more thread than cores: a thread waiting on a file system call leaves its
    // core to another.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() + 1)
        .unwrap_or(2)
        .clamp(2, 5);
    // Clones share the parsed central directory (9,500 entries: megabytes) and each
    // get their own read position and buffer.
    let archives: Vec<_> = (0..threads).map(|_| first.clone()).collect();
    let results: Vec<Result<Part, ModZipError>> = std::thread::scope(|s| {
        let handles: Vec<_> = archives
            .into_iter()
            .map(|zip| {
                let (order, next) = (&order, &next);
                s.spawn(move || unpack_part(zip, order, next, prefix, dest))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ModZipError::Corrupt("unpacking thread panicked".into()))
                })
            })
            .collect()
    });
    let mut h1 = Hash1::new();
    let mut bytes = 0;
    for part in results {
        let part = part?;
        bytes += part.bytes;
        for (name, digest) in part.files {
            h1.add(name, digest);
        }
    }
    if h1.is_empty() {
        return Err(ModZipError::Corrupt("it holds no files".into()));
    }
    let files = h1.len();
    Ok(Unpacked {
        h1: h1.finish()?,
        files,
        bytes,
    })
}

struct Part {
    files: Vec<(String, [u8; 32])>,
    bytes: u64,
}

fn unpack_part(
    mut zip: zip::ZipArchive<PosReader>,
    order: &[usize],
    next: &std::sync::atomic::AtomicUsize,
    prefix: &str,
    dest: &Path,
) -> Result<Part, ModZipError> {
    let mut part = Part {
        files: Vec::new(),
        bytes: 0,
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut made = std::collections::HashSet::new();
    while let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| ModZipError::Corrupt(e.to_string()))?;
        let name = entry.name().to_string();
        let rel = name
            .strip_prefix(prefix)
            .ok_or_else(|| refused(&name, &format!("it is outside the module prefix {prefix}")))?;
        if entry.is_dir() {
            continue;
        }
        check_rel(&name, rel)?;
        if entry
            .unix_mode()
            .is_some_and(|m| m & 0o170000 != 0o100000 && m & 0o170000 != 0)
        {
            return Err(refused(&name, "a module zip holds only regular files"));
        }
        let sdk_rel = distpack::sdk_name(rel);
        let path = dest.join(&sdk_rel);
        if let Some(dir) = path.parent() {
            // Entries come directory by directory: skip the syscalls for a known one.
            if !made.contains(dir) {
                fs::create_dir_all(dir).map_err(|source| ModZipError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                made.insert(dir.to_path_buf());
            }
        }
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, distpack::mode(&sdk_rel));
        let mut out = opts.open(&path).map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => refused(
                &name,
                "another entry has the same name (or differs only in case)",
            ),
            _ => ModZipError::Io {
                path: path.clone(),
                source,
            },
        })?;
        let declared = entry.size();
        let mut hash = Sha256::new();
        let mut written = 0u64;
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| ModZipError::Corrupt(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if written > declared {
                return Err(refused(&name, "it is longer than its directory entry says"));
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|source| ModZipError::Io {
                path: path.clone(),
                source,
            })?;
        }
        part.bytes += written;
        part.files.push((name, hash.finalize().into()));
    }
    Ok(part)
}

/// A buffered reader for the zip that keeps its position itself and reads at offsets,
/// so the zip reader's many seeks (several per entry) cost no system call and do not
/// throw the buffer away when they land inside it.
#[derive(Clone)]
struct PosReader {
    file: std::sync::Arc<File>,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    /// The file offset of `buf[0]`; `buf` holds valid bytes up to its length.
    buf_at: u64,
}

const POS_BUF: usize = 64 * 1024;

impl PosReader {
    fn new(file: File) -> PosReader {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        PosReader {
            file: std::sync::Arc::new(file),
            len,
            pos: 0,
            buf: Vec::with_capacity(POS_BUF),
            buf_at: 0,
        }
    }

    fn read_at(&self, out: &mut [u8], at: u64) -> io::Result<usize> {
        #[cfg(unix)]
        return std::os::unix::fs::FileExt::read_at(&*self.file, out, at);
        #[cfg(windows)]
        return std::os::windows::fs::FileExt::seek_read(&*self.file, out, at);
    }
}

impl Read for PosReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let end = self.buf_at + self.buf.len() as u64;
        if self.pos < self.buf_at || self.pos >= end {
            if out.len() >= POS_BUF {
                let n = self.read_at(out, self.pos)?;
                self.pos += n as u64;
                return Ok(n);
            }
            self.buf.resize(POS_BUF, 0);
            let mut buf = std::mem::take(&mut self.buf);
            let n = self.read_at(&mut buf, self.pos);
            buf.truncate(*n.as_ref().unwrap_or(&0));
            self.buf = buf;
            self.buf_at = self.pos;
            n?;
        }
        let from = (self.pos - self.buf_at) as usize;
        let n = out.len().min(self.buf.len() - from);
        out[..n].copy_from_slice(&self.buf[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PosReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// A module file name: relative, `/`-separated, no empty, `.` or `..` elements.
fn check_rel(name: &str, rel: &str) -> Result<(), ModZipError> {
    if rel.is_empty()
        || rel.starts_with('/')
        || rel.contains('\\')
        || rel.contains('\0')
        || rel
            .split('/')
            .any(|e| e.is_empty() || e == "." || e == "..")
    {
        return Err(refused(name, "not a clean relative path"));
    }
    if rel == ".gvr" || rel.starts_with(".gvr/") {
        return Err(refused(name, "it would overwrite gvr's receipt directory"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "golang.org/toolchain@v0.0.1-go1.22.6.linux-amd64/";

    fn zip_of(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        let mut w = zip::ZipWriter::new(f.reopen().unwrap());
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        f
    }

    #[test]
    fn unpacks_like_the_go_command_and_hashes_like_the_database() {
        let entries: Vec<(String, &[u8])> = [
            ("VERSION", b"go1.22.6\ntime x\n" as &[u8]),
            ("bin/go", b"\x7fELF go"),
            ("pkg/tool/linux_amd64/compile", b"\x7fELF compile"),
            ("src/_go.mod", b"module std\n"),
            ("src/cmd/_go.mod", b"module cmd\n"),
            ("src/make.bash", b"#!/bin/bash\n"),
            ("src/fmt/print.go", b"package fmt\n"),
        ]
        .iter()
        .map(|(n, d)| (format!("{PREFIX}{n}"), *d))
        .collect();
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        let zip = zip_of(&refs);
        let dest = tempfile::tempdir().unwrap();
        let got = unpack(zip.path(), PREFIX, dest.path()).unwrap();
        let mut want = Hash1::new();
        for (n, d) in &entries {
            want.add_bytes(n.clone(), d);
        }
        assert_eq!(got.h1, want.finish().unwrap());
        assert_eq!(got.files, 7);
        let d = dest.path();
        assert_eq!(fs::read(d.join("src/go.mod")).unwrap(), b"module std\n");
        assert!(!d.join("src/_go.mod").exists());
        assert!(d.join("src/cmd/go.mod").is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &str| fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode("bin/go") & 0o111, 0o111);
            assert_eq!(mode("pkg/tool/linux_amd64/compile") & 0o111, 0o111);
            assert_eq!(mode("src/make.bash") & 0o111, 0o111);
            assert_eq!(mode("src/fmt/print.go") & 0o111, 0);
        }
        // The same hash as a go.dev-layout tree mapped by distpack's rule.
        let tree = distpack::hash_tree(d, "v0.0.1-go1.22.6.linux-amd64", &[]).unwrap();
        assert_eq!(tree.h1, got.h1);
        assert!(!tree.has_full_tree);
    }

    #[test]
    fn refuses_escapes_and_foreign_entries() {
        for bad in [
            format!("{PREFIX}../evil"),
            format!("{PREFIX}a//b"),
            format!("{PREFIX}./a"),
            format!("{PREFIX}.gvr/receipt.json"),
            "golang.org/toolchain@v0.0.1-go1.22.7.linux-amd64/VERSION".to_string(),
            "evil".to_string(),
        ] {
            let zip = zip_of(&[(bad.as_str(), b"x")]);
            let dest = tempfile::tempdir().unwrap();
            let e = unpack(zip.path(), PREFIX, dest.path()).unwrap_err();
            assert!(matches!(e, ModZipError::Refused { .. }), "{bad}: {e}");
        }
        let not_zip = tempfile::NamedTempFile::new().unwrap();
        fs::write(not_zip.path(), b"<html>").unwrap();
        let dest = tempfile::tempdir().unwrap();
        assert!(matches!(
            unpack(not_zip.path(), PREFIX, dest.path()),
            Err(ModZipError::Corrupt(_))
        ));
    }
}

//! Safe unpacking of Go SDK archives (tar.gz and zip, told apart by magic bytes, not by
//! file name) into a staging directory, with the `go/` prefix stripped.
//!
//! Refused, with the entry named: absolute paths, `..`, anything outside `go/`, links
//! whose target leaves the tree (or that pass through another link), device and fifo
//! nodes. setuid/setgid/sticky bits are dropped; exec bits are kept.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};

use crate::version::GoVersion;

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
pub fn unpack_tar_gz<R: Read>(reader: R, dest: &Path) -> Result<UnpackStats, UnpackError> {
    with_writer(dest, |tree| {
        let gz = flate2::read::MultiGzDecoder::new(reader);
        let mut buffered = BufReader::with_capacity(INFLATE_BUF, gz);
        {
            let mut archive = tar::Archive::new(&mut buffered);
            let entries = archive
                .entries()
                .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| UnpackError::Corrupt(e.to_string()))?;
                let raw = entry.path_bytes().into_owned();
                let name = String::from_utf8(raw).map_err(|e| {
                    refused(
                        &String::from_utf8_lossy(e.as_bytes()),
                        "the name is not UTF-8",
                    )
                })?;
                let kind = entry.header().entry_type();
                let mode = entry.header().mode().unwrap_or(0o644);
                use tar::EntryType as T;
                match kind {
                    T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
                    _ => {}
                }
                let Some(rel) = tree.rel_path(&name)? else {
                    continue;
                };
                match kind {
                    T::Regular | T::Continuous => {
                        let size = entry.size();
                        tree.file(&name, rel, mode, size, &mut entry)?
                    }
                    T::Directory => tree.dir(&name, rel)?,
                    T::Symlink => {
                        let target = link_target(&name, entry.link_name_bytes())?;
                        tree.symlink(&name, rel, target)?
                    }
                    T::Link => {
                        let target = link_target(&name, entry.link_name_bytes())?;
                        tree.hardlink(&name, rel, &target)?
                    }
                    T::Char | T::Block => {
                        return Err(refused(&name, "device nodes are not allowed"))
                    }
                    T::Fifo => return Err(refused(&name, "fifo nodes are not allowed")),
                    other => {
                        return Err(refused(&name, format!("unsupported entry type {other:?}")))
                    }
                }
            }
        }
        // The tar end marker may come before the end of the gzip stream.
        io::copy(&mut buffered, &mut io::sink())
            .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
        Ok(())
    })
}

/// Runs `parse` with a [`Tree`] whose checked operations a second thread carries out.
/// The writer's own error (disk full, permission) wins over the "writer stopped" it
/// causes on this side.
fn with_writer(
    dest: &Path,
    parse: impl FnOnce(&mut Tree) -> Result<(), UnpackError>,
) -> Result<UnpackStats, UnpackError> {
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Op>(OPS_IN_FLIGHT);
        let writer = s.spawn(move || {
            let mut w = Writer::new(dest);
            for op in rx {
                w.apply(op)?;
            }
            w.close()?;
            Ok(w.stats)
        });
        let mut tree = Tree::new(tx);
        let parsed = parse(&mut tree);
        drop(tree); // closes the channel: the writer finishes what it was sent
        let written: Result<UnpackStats, UnpackError> = writer
            .join()
            .unwrap_or_else(|_| Err(UnpackError::Corrupt("the file writer panicked".into())));
        match (parsed, written) {
            (Ok(()), written) => written,
            (Err(UnpackError::WriterStopped), Err(w)) => Err(w),
            (Err(e), _) => Err(e),
        }
    })
}

fn link_target(
    name: &str,
    target: Option<std::borrow::Cow<'_, [u8]>>,
) -> Result<String, UnpackError> {
    let t = target.ok_or_else(|| refused(name, "a link without a target"))?;
    String::from_utf8(t.into_owned()).map_err(|_| refused(name, "the link target is not UTF-8"))
}

/// Unpacks the zip archive at `path` into `dest`.
pub fn unpack_zip(path: &Path, dest: &Path) -> Result<UnpackStats, UnpackError> {
    let file = File::open(path).map_err(|source| UnpackError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(io::BufReader::with_capacity(INFLATE_BUF, file))
        .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
    with_writer(dest, |tree| {
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
            let name = entry.name().to_string();
            let Some(rel) = tree.rel_path(&name)? else {
                continue;
            };
            let mode = entry.unix_mode();
            let file_type = mode.map(|m| m & 0o170000).unwrap_or(0);
            match file_type {
                0o120000 => {
                    let mut target = String::new();
                    entry
                        .read_to_string(&mut target)
                        .map_err(|_| refused(&name, "the link target is not UTF-8"))?;
                    tree.symlink(&name, rel, target)?;
                }
                0o020000 | 0o060000 => return Err(refused(&name, "device nodes are not allowed")),
                0o010000 => return Err(refused(&name, "fifo nodes are not allowed")),
                0o140000 => return Err(refused(&name, "sockets are not allowed")),
                _ if entry.is_dir() || file_type == 0o040000 => tree.dir(&name, rel)?,
                _ => {
                    let size = entry.size();
                    tree.file(&name, rel, mode.unwrap_or(0o644), size, &mut entry)?
                }
            }
        }
        Ok(())
    })
}

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

/// One checked filesystem step, carried out in order by the [`Writer`].
enum Op {
    /// `create_dir_all`.
    DirAll(PathBuf),
    /// `create_dir`, tolerating an existing directory.
    Dir(PathBuf),
    Open {
        rel: PathBuf,
        mode: u32,
    },
    Write(Vec<u8>),
    /// Removes a link the archive put here earlier, so the new entry replaces it
    /// instead of writing through it.
    Remove(PathBuf),
    Symlink {
        rel: PathBuf,
        target: String,
    },
    Hardlink {
        name: String,
        shown: String,
        rel: PathBuf,
        target: PathBuf,
    },
}

/// Operations in flight to the writer; file data travels in blocks of at most
/// [`INFLATE_BUF`], so this bounds memory.
const OPS_IN_FLIGHT: usize = 32;

/// Performs [`Op`]s under `root`. Every path it gets was checked by [`Tree`].
struct Writer {
    root: PathBuf,
    open: Option<(File, PathBuf)>,
    stats: UnpackStats,
}

impl Writer {
    fn new(root: &Path) -> Writer {
        Writer {
            root: root.to_path_buf(),
            open: None,
            stats: UnpackStats::default(),
        }
    }

    fn io(&self, rel: &Path, source: io::Error) -> UnpackError {
        UnpackError::Io {
            path: self.root.join(rel),
            source,
        }
    }

    fn close(&mut self) -> Result<(), UnpackError> {
        // Dropping closes; no fsync per file: the install flushes the whole stage at
        // once before its commit rename (dist::durable), and a crash before that
        // leaves only a stage to clean.
        self.open = None;
        Ok(())
    }

    fn apply(&mut self, op: Op) -> Result<(), UnpackError> {
        match op {
            Op::DirAll(rel) => {
                fs::create_dir_all(self.root.join(&rel)).map_err(|e| self.io(&rel, e))
            }
            Op::Dir(rel) => match fs::create_dir(self.root.join(&rel)) {
                Ok(()) => Ok(()),
                Err(e)
                    if e.kind() == io::ErrorKind::AlreadyExists
                        && self.root.join(&rel).is_dir() =>
                {
                    Ok(())
                }
                Err(e) => Err(self.io(&rel, e)),
            },
            Op::Open { rel, mode } => {
                self.close()?;
                let path = self.root.join(&rel);
                let mut opts = OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    // Permission bits only: setuid, setgid and sticky are dropped here.
                    opts.mode((mode & 0o777) | 0o600);
                }
                #[cfg(not(unix))]
                let _ = mode;
                let f = opts.open(&path).map_err(|e| self.io(&rel, e))?;
                self.open = Some((f, rel));
                self.stats.files += 1;
                Ok(())
            }
            Op::Write(data) => {
                let Some((f, rel)) = self.open.as_mut() else {
                    return Ok(());
                };
                if let Err(e) = f.write_all(&data) {
                    let rel = rel.clone();
                    return Err(self.io(&rel, e));
                }
                self.stats.bytes += data.len() as u64;
                Ok(())
            }
            Op::Remove(rel) => fs::remove_file(self.root.join(&rel)).map_err(|e| self.io(&rel, e)),
            Op::Symlink { rel, target } => {
                self.close()?;
                let path = self.root.join(&rel);
                if path.symlink_metadata().is_ok() {
                    fs::remove_file(&path).map_err(|e| self.io(&rel, e))?;
                }
                #[cfg(unix)]
                return std::os::unix::fs::symlink(&target, &path).map_err(|e| self.io(&rel, e));
                #[cfg(not(unix))]
                return Err(refused(
                    &rel.display().to_string(),
                    format!("symlinks (to `{target}`) are not supported on this platform"),
                ));
            }
            Op::Hardlink {
                name,
                shown,
                rel,
                target,
            } => {
                self.close()?;
                let path = self.root.join(&rel);
                if path.symlink_metadata().is_ok() {
                    fs::remove_file(&path).map_err(|e| self.io(&rel, e))?;
                }
                fs::hard_link(self.root.join(&target), &path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => refused(
                        &name,
                        format!("its hard link target `{shown}` is not in the archive before it"),
                    ),
                    _ => self.io(&rel, e),
                })?;
                self.stats.files += 1;
                Ok(())
            }
        }
    }
}

/// The checks: every entry is validated here, against what the archive created so far,
/// before any [`Op`] for it is sent. Paths are relative to the stripped `go/`.
struct Tree {
    out: SyncSender<Op>,
    /// Symlinks created so far: nothing may be written or resolved through them.
    links: HashSet<PathBuf>,
    /// Directories known to exist, to skip redundant `create_dir_all` calls.
    dirs: HashSet<PathBuf>,
}

impl Tree {
    fn new(out: SyncSender<Op>) -> Tree {
        let mut dirs = HashSet::new();
        dirs.insert(PathBuf::new());
        Tree {
            out,
            links: HashSet::new(),
            dirs,
        }
    }

    fn send(&self, op: Op) -> Result<(), UnpackError> {
        self.out.send(op).map_err(|_| UnpackError::WriterStopped)
    }

    /// `go/bin/go` → `bin/go`; `None` for `go/` itself.
    fn rel_path(&self, name: &str) -> Result<Option<PathBuf>, UnpackError> {
        if name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':')
        {
            return Err(refused(name, "absolute paths are not allowed"));
        }
        let parts: Vec<&str> = name
            .split(['/', '\\'])
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if parts.contains(&"..") {
            return Err(refused(name, "paths containing `..` are not allowed"));
        }
        if parts.first() != Some(&"go") {
            return Err(refused(name, "it lies outside the archive's go/ directory"));
        }
        if parts.len() == 1 {
            return Ok(None);
        }
        Ok(Some(parts[1..].iter().collect()))
    }

    /// Refuses `rel` when one of its parents is a symlink from this archive (writing
    /// through it could land anywhere the link points).
    fn check_parents(&self, name: &str, rel: &Path) -> Result<(), UnpackError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let mut p = rel.parent();
        while let Some(parent) = p {
            if self.links.contains(parent) {
                return Err(refused(
                    name,
                    format!("it would be written through the link {}", parent.display()),
                ));
            }
            p = parent.parent();
        }
        Ok(())
    }

    fn ensure_parent(&mut self, name: &str, rel: &Path) -> Result<(), UnpackError> {
        self.check_parents(name, rel)?;
        let parent = rel.parent().unwrap_or(Path::new(""));
        if !self.dirs.contains(parent) {
            self.send(Op::DirAll(parent.to_path_buf()))?;
            let mut p = Some(parent);
            while let Some(d) = p {
                if !self.dirs.insert(d.to_path_buf()) {
                    break;
                }
                p = d.parent();
            }
        }
        Ok(())
    }

    fn replace(&mut self, rel: &Path) -> Result<(), UnpackError> {
        if self.links.remove(rel) {
            self.send(Op::Remove(rel.to_path_buf()))?;
        }
        Ok(())
    }

    fn dir(&mut self, name: &str, rel: PathBuf) -> Result<(), UnpackError> {
        if self.links.contains(&rel) {
            return Err(refused(
                name,
                "a directory where the archive already put a link",
            ));
        }
        self.ensure_parent(name, &rel)?;
        if self.dirs.insert(rel.clone()) {
            self.send(Op::Dir(rel))?;
        }
        Ok(())
    }

    fn file(
        &mut self,
        name: &str,
        rel: PathBuf,
        mode: u32,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), UnpackError> {
        self.ensure_parent(name, &rel)?;
        self.replace(&rel)?;
        self.send(Op::Open { rel, mode })?;
        let mut left = size;
        loop {
            let want = left.clamp(1, INFLATE_BUF as u64) as usize;
            let mut block = Vec::with_capacity(want);
            let n = data
                .take(want as u64)
                .read_to_end(&mut block)
                .map_err(|e| UnpackError::Corrupt(format!("reading `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n as u64);
            self.send(Op::Write(block))?;
        }
        Ok(())
    }

    fn symlink(&mut self, name: &str, rel: PathBuf, target: String) -> Result<(), UnpackError> {
        if target.is_empty() {
            return Err(refused(name, "a link with an empty target"));
        }
        if target.starts_with('/')
            || target.starts_with('\\')
            || target.as_bytes().get(1) == Some(&b':')
        {
            return Err(refused(
                name,
                format!("its link target `{target}` is absolute"),
            ));
        }
        // Resolve the target from the link's directory, without leaving the tree and
        // without passing through another link.
        let mut at: Vec<&str> = rel
            .parent()
            .into_iter()
            .flat_map(|p| p.iter())
            .filter_map(|c| c.to_str())
            .collect();
        for comp in target.split(['/', '\\']) {
            if comp.is_empty() || comp == "." {
                continue;
            }
            // Stepping into or out of a link resolves against where it points, not
            // where it sits, so the lexical answer would be wrong.
            if !at.is_empty() && self.links.contains(&at.iter().collect::<PathBuf>()) {
                return Err(refused(
                    name,
                    format!("its link target `{target}` passes through another link"),
                ));
            }
            if comp == ".." {
                if at.pop().is_none() {
                    return Err(refused(
                        name,
                        format!("its link target `{target}` points outside the SDK"),
                    ));
                }
            } else {
                at.push(comp);
            }
        }
        if !cfg!(unix) {
            return Err(refused(name, "symlinks are not supported on this platform"));
        }
        self.ensure_parent(name, &rel)?;
        self.replace(&rel)?;
        self.links.insert(rel.clone());
        self.send(Op::Symlink { rel, target })
    }

    fn hardlink(&mut self, name: &str, rel: PathBuf, target: &str) -> Result<(), UnpackError> {
        let target_rel = match self.rel_path(target) {
            Ok(Some(t)) => t,
            Ok(None) | Err(_) => {
                return Err(refused(
                    name,
                    format!("its hard link target `{target}` is outside the SDK"),
                ))
            }
        };
        if self.links.contains(&target_rel) {
            return Err(refused(
                name,
                format!("its hard link target `{target}` is a symlink"),
            ));
        }
        self.check_parents(name, &target_rel)?;
        self.ensure_parent(name, &rel)?;
        self.replace(&rel)?;
        self.send(Op::Hardlink {
            name: name.to_string(),
            shown: target.to_string(),
            rel,
            target: target_rel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// One entry of a test archive.
    enum E<'a> {
        File(&'a str, &'a [u8], u32),
        Dir(&'a str),
        Symlink(&'a str, &'a str),
        Hardlink(&'a str, &'a str),
        Device(&'a str),
        Fifo(&'a str),
    }

    /// Builds a tar.gz writing names as raw bytes, so malicious names survive (the tar
    /// crate's own setters refuse them).
    fn tar_gz(entries: &[E]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in entries {
            let mut h = tar::Header::new_gnu();
            let (name, kind, data, mode, link): (&str, tar::EntryType, &[u8], u32, Option<&str>) =
                match e {
                    E::File(n, d, m) => (n, tar::EntryType::Regular, d, *m, None),
                    E::Dir(n) => (n, tar::EntryType::Directory, b"", 0o755, None),
                    E::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", 0o777, Some(t)),
                    E::Hardlink(n, t) => (n, tar::EntryType::Link, b"", 0o644, Some(t)),
                    E::Device(n) => (n, tar::EntryType::Char, b"", 0o644, None),
                    E::Fifo(n) => (n, tar::EntryType::Fifo, b"", 0o644, None),
                };
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(l) = link {
                let raw = &mut h.as_old_mut().linkname;
                raw[..l.len()].copy_from_slice(l.as_bytes());
            }
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, data).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    /// Builds a zip; device and fifo entries get their type bits patched into the
    /// central directory afterwards, because the zip writer only stores permissions.
    fn zip_file(entries: &[E]) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let mut patches = Vec::new();
        for e in entries {
            match e {
                E::File(n, d, m) => {
                    w.start_file(*n, SimpleFileOptions::default().unix_permissions(*m))
                        .unwrap();
                    w.write_all(d).unwrap();
                }
                E::Dir(n) => w.add_directory(*n, SimpleFileOptions::default()).unwrap(),
                E::Symlink(n, t) => w.add_symlink(*n, *t, SimpleFileOptions::default()).unwrap(),
                E::Hardlink(..) => unreachable!("zip has no hard links"),
                E::Device(n) | E::Fifo(n) => {
                    w.start_file(*n, SimpleFileOptions::default()).unwrap();
                    let kind = if matches!(e, E::Device(_)) {
                        0o020644u32
                    } else {
                        0o010644
                    };
                    patches.push((n.to_string(), kind));
                }
            }
        }
        let mut bytes = w.finish().unwrap().into_inner();
        for (name, mode) in patches {
            patch_zip_mode(&mut bytes, &name, mode);
        }
        bytes
    }

    fn patch_zip_mode(bytes: &mut [u8], name: &str, mode: u32) {
        let mut i = 0;
        while i + 46 <= bytes.len() {
            if bytes[i..i + 4] == *b"PK\x01\x02" {
                let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
                if &bytes[i + 46..i + 46 + n] == name.as_bytes() {
                    bytes[i + 5] = 3; // made by Unix
                    bytes[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
                    return;
                }
            }
            i += 1;
        }
        panic!("{name} not in central directory");
    }

    fn unpack_tar(entries: &[E]) -> (tempfile::TempDir, Result<UnpackStats, UnpackError>) {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("stage");
        fs::create_dir(&dest).unwrap();
        let r = unpack_tar_gz(&tar_gz(entries)[..], &dest);
        (dir, r)
    }

    fn unpack_z(entries: &[E]) -> (tempfile::TempDir, Result<UnpackStats, UnpackError>) {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("stage");
        fs::create_dir(&dest).unwrap();
        let zpath = dir.path().join("a.zip");
        fs::write(&zpath, zip_file(entries)).unwrap();
        let r = unpack_zip(&zpath, &dest);
        (dir, r)
    }

    fn good_sdk() -> Vec<E<'static>> {
        vec![
            E::Dir("go/"),
            E::Dir("go/bin/"),
            E::File(
                "go/VERSION",
                b"go1.22.6\ntime 2024-08-06T00:00:00Z\n",
                0o644,
            ),
            E::File("go/bin/go", b"#!/bin/sh\necho hi\n", 0o755),
            E::File("go/src/fmt/print.go", b"package fmt\n", 0o644),
            E::File("go/pkg/tool/linux_amd64/compile", b"x", 0o4755),
        ]
    }

    fn check_good(dir: &Path) {
        let stage = dir.join("stage");
        assert!(stage.join("bin/go").is_file());
        assert!(!stage.join("go").exists(), "go/ prefix is stripped");
        let mode = |p: &str| fs::metadata(stage.join(p)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode("bin/go") & 0o111, 0o111, "exec bits kept");
        assert_eq!(mode("src/fmt/print.go") & 0o111, 0);
        assert_eq!(
            mode("pkg/tool/linux_amd64/compile") & 0o7000,
            0,
            "setuid dropped"
        );
        check_version_file(&stage, &"1.22.6".parse().unwrap()).unwrap();
        let e = check_version_file(&stage, &"1.22.7".parse().unwrap()).unwrap_err();
        assert!(e.to_string().contains("go1.22.6"), "{e}");
    }

    #[test]
    fn unpacks_a_good_tar_gz_and_zip() {
        let (dir, r) = unpack_tar(&good_sdk());
        assert_eq!(r.unwrap().files, 4);
        check_good(dir.path());
        let (dir, r) = unpack_z(&good_sdk());
        assert_eq!(r.unwrap().files, 4);
        check_good(dir.path());
    }

    #[test]
    fn keeps_links_that_stay_inside() {
        let mut es = good_sdk();
        es.push(E::Symlink("go/bin/go2", "go"));
        es.push(E::Symlink("go/misc/up", "../src/fmt"));
        es.push(E::Hardlink("go/bin/go3", "go/bin/go"));
        let (dir, r) = unpack_tar(&es);
        r.unwrap();
        let stage = dir.path().join("stage");
        assert_eq!(
            fs::read_link(stage.join("misc/up")).unwrap(),
            Path::new("../src/fmt")
        );
        assert!(stage.join("bin/go3").is_file());
        let mut es = good_sdk();
        es.push(E::Symlink("go/bin/go2", "go"));
        let (_dir, r) = unpack_z(&es);
        r.unwrap();
    }

    /// Each malicious entry, appended to a valid SDK, must be refused with its name.
    fn malicious<'a>() -> Vec<(E<'a>, &'a str, &'a str)> {
        vec![
            (E::File("/etc/evil", b"x", 0o644), "/etc/evil", "absolute"),
            (E::File("go/../evil", b"x", 0o644), "go/../evil", ".."),
            (
                E::File("go/bin/../../evil", b"x", 0o644),
                "go/bin/../../evil",
                "..",
            ),
            (E::File("evil/x", b"x", 0o644), "evil/x", "outside"),
            (E::File("gopher/x", b"x", 0o644), "gopher/x", "outside"),
            (
                E::File("go\\..\\..\\evil", b"x", 0o644),
                "go\\..\\..\\evil",
                "..",
            ),
            (
                E::Symlink("go/bin/esc", "../../etc/passwd"),
                "go/bin/esc",
                "outside",
            ),
            (
                E::Symlink("go/bin/abs", "/etc/passwd"),
                "go/bin/abs",
                "absolute",
            ),
            (E::Device("go/dev/null"), "go/dev/null", "device"),
            (E::Fifo("go/fifo"), "go/fifo", "fifo"),
        ]
    }

    #[test]
    fn refuses_malicious_tar_entries() {
        let mut cases = malicious();
        cases.push((
            E::Hardlink("go/bin/h", "/etc/passwd"),
            "go/bin/h",
            "outside",
        ));
        cases.push((
            E::Hardlink("go/bin/h", "go/../../etc/passwd"),
            "go/bin/h",
            "outside",
        ));
        for (entry, name, why) in cases {
            let mut es = good_sdk();
            es.push(entry);
            let (dir, r) = unpack_tar(&es);
            let e = r.expect_err(name);
            let msg = e.to_string();
            assert!(matches!(e, UnpackError::Refused { .. }), "{msg}");
            assert!(msg.contains(name) && msg.contains(why), "{name}: {msg}");
            assert!(!dir.path().join("evil").exists() && !dir.path().join("etc").exists());
        }
    }

    #[test]
    fn refuses_malicious_zip_entries() {
        for (entry, name, why) in malicious() {
            let mut es = good_sdk();
            es.push(entry);
            let (dir, r) = unpack_z(&es);
            let e = r.expect_err(name);
            let msg = e.to_string();
            assert!(matches!(e, UnpackError::Refused { .. }), "{msg}");
            assert!(msg.contains(name) && msg.contains(why), "{name}: {msg}");
            assert!(!dir.path().join("evil").exists());
        }
    }

    #[test]
    fn refuses_writing_through_an_inside_link() {
        // `go/a -> .` is inside, but `go/a/x -> ..` would then resolve to the parent of
        // the tree on disk, and files under `go/a/` would land wherever `a` points.
        for es in [
            vec![E::Symlink("go/a", "."), E::Symlink("go/b", "a/..")],
            vec![E::Symlink("go/a", "bin"), E::File("go/a/x", b"x", 0o644)],
        ] {
            let mut all = good_sdk();
            all.extend(es);
            let (_dir, r) = unpack_tar(&all);
            let e = r.unwrap_err();
            assert!(e.to_string().contains("link"), "{e}");
        }
    }

    #[test]
    fn detects_format_by_magic() {
        assert_eq!(Format::sniff(&[0x1f, 0x8b, 8, 0]), Some(Format::TarGz));
        assert_eq!(Format::sniff(b"PK\x03\x04"), Some(Format::Zip));
        assert_eq!(Format::sniff(b"<!DOCTYPE html>"), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut bytes = tar_gz(&good_sdk());
        let n = bytes.len();
        bytes.truncate(n - 20);
        let dir = tempfile::tempdir().unwrap();
        assert!(unpack_tar_gz(&bytes[..], dir.path()).is_err());
    }
}

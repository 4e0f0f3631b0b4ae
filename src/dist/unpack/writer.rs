//! Carries out the checked [`Op`]s on a second thread. On Unix every path is walked one
//! component at a time from an open descriptor of the stage (`openat` with
//! `O_NOFOLLOW | O_DIRECTORY`), and every entry is created relative to its parent's
//! descriptor without following a link, so nothing the archive put on disk, a link in
//! particular, can redirect a later write, whatever the order of entries or the case
//! rules of the filesystem. Elsewhere the archive can create no links (they are refused
//! before they get here), so plain paths are safe.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{refused, UnpackError, UnpackStats};

/// One checked filesystem step, carried out in order.
pub(super) enum Op {
    /// A directory (and any missing parents).
    Dir(PathBuf),
    /// Creates (or replaces) a regular file; the [`Op::Write`]s that follow fill it.
    Open {
        rel: PathBuf,
        mode: u32,
    },
    Write(Vec<u8>),
    Symlink {
        rel: PathBuf,
        target: String,
    },
    /// A hard link at `rel` to the regular file `target` (both relative to the stage).
    Hardlink {
        name: String,
        shown: String,
        rel: PathBuf,
        target: PathBuf,
    },
}

pub(super) struct Writer {
    root: PathBuf,
    dirs: sys::Dirs,
    open: Option<(File, PathBuf)>,
    pub stats: UnpackStats,
}

impl Writer {
    pub fn new(root: &Path) -> Result<Writer, UnpackError> {
        let dirs = sys::Dirs::open(root).map_err(|source| UnpackError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(Writer {
            root: root.to_path_buf(),
            dirs,
            open: None,
            stats: UnpackStats::default(),
        })
    }

    fn err(&self, rel: &Path, e: io::Error) -> UnpackError {
        if sys::is_link_in_the_way(&e) {
            return refused(
                &format!("go/{}", rel.display()),
                "it would be written through a link (or a file) the archive put in its way",
            );
        }
        UnpackError::Io {
            path: self.root.join(rel),
            source: e,
        }
    }

    /// Closes the open file. No fsync per file: the install flushes the whole stage at
    /// once before its commit rename, and a crash before that leaves only a stage.
    pub fn close(&mut self) {
        self.open = None;
    }

    pub fn apply(&mut self, op: Op) -> Result<(), UnpackError> {
        match op {
            Op::Dir(rel) => {
                self.close();
                let made = self.dirs.dir(&rel).map(|_| ());
                made.map_err(|e| self.err(&rel, e))?;
            }
            Op::Open { rel, mode } => {
                self.close();
                // Permission bits only: setuid, setgid and sticky are dropped here.
                let mode = (mode & 0o777) | 0o600;
                let f = self
                    .dirs
                    .create_file(&rel, mode)
                    .map_err(|e| self.err(&rel, e))?;
                self.open = Some((f, rel));
                self.stats.files += 1;
            }
            Op::Write(data) => {
                let Some((f, rel)) = self.open.as_mut() else {
                    return Ok(());
                };
                if let Err(e) = f.write_all(&data) {
                    let rel = rel.clone();
                    return Err(self.err(&rel, e));
                }
                self.stats.bytes += data.len() as u64;
            }
            Op::Symlink { rel, target } => {
                self.close();
                self.dirs
                    .symlink(&rel, &target)
                    .map_err(|e| self.err(&rel, e))?;
            }
            Op::Hardlink {
                name,
                shown,
                rel,
                target,
            } => {
                self.close();
                match self.dirs.hardlink(&target, &rel) {
                    Ok(()) => self.stats.files += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Err(refused(
                            &name,
                            format!(
                                "its hard link target `{shown}` is not in the archive before it"
                            ),
                        ))
                    }
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                        return Err(refused(
                            &name,
                            format!("its hard link target `{shown}` is not a regular file"),
                        ))
                    }
                    Err(e) => return Err(self.err(&rel, e)),
                }
            }
        }
        Ok(())
    }
}

/// Splits `rel` into its parent and file name.
fn split(rel: &Path) -> io::Result<(&Path, &std::ffi::OsStr)> {
    let name = rel
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    Ok((rel.parent().unwrap_or(Path::new("")), name))
}

#[cfg(unix)]
mod sys {
    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::path::{Component, Path};

    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::split;

    /// A link where a directory was expected (`ELOOP`, `EMLINK` on FreeBSD), or a file
    /// (`ENOTDIR`).
    pub fn is_link_in_the_way(e: &io::Error) -> bool {
        let code = e.raw_os_error();
        [Errno::LOOP, Errno::MLINK, Errno::NOTDIR]
            .iter()
            .any(|x| Some(x.raw_os_error()) == code)
    }

    fn dir_flags() -> OFlags {
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
    }

    /// The stage's descriptor, and the open directories along the last parent walked
    /// (entries come grouped by directory, so most walks reuse all of it).
    pub struct Dirs {
        root: OwnedFd,
        stack: Vec<(OsString, OwnedFd)>,
    }

    impl Dirs {
        pub fn open(root: &Path) -> io::Result<Dirs> {
            let root = rfs::open(root, dir_flags(), Mode::empty())?;
            Ok(Dirs {
                root,
                stack: Vec::new(),
            })
        }

        /// The directory `rel`, created with its parents as needed, each component
        /// opened without following a link.
        pub fn dir(&mut self, rel: &Path) -> io::Result<BorrowedFd<'_>> {
            let comps: Vec<&OsStr> = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(n) => Some(n),
                    _ => None,
                })
                .collect();
            let keep = self
                .stack
                .iter()
                .zip(&comps)
                .take_while(|((have, _), want)| have.as_os_str() == **want)
                .count();
            self.stack.truncate(keep);
            for comp in &comps[keep..] {
                let parent = self
                    .stack
                    .last()
                    .map_or(self.root.as_fd(), |(_, fd)| fd.as_fd());
                match rfs::mkdirat(parent, *comp, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                let fd = rfs::openat(parent, *comp, dir_flags(), Mode::empty())?;
                self.stack.push((comp.to_os_string(), fd));
            }
            Ok(self
                .stack
                .last()
                .map_or(self.root.as_fd(), |(_, fd)| fd.as_fd()))
        }

        /// Runs `make` for `name` in `parent`; if something is there already (an
        /// earlier entry of the same name), unlinks it (never a directory) and retries.
        fn replacing<T>(
            parent: BorrowedFd<'_>,
            name: &OsStr,
            mut make: impl FnMut() -> rustix::io::Result<T>,
        ) -> io::Result<T> {
            match make() {
                Err(Errno::EXIST) => {
                    rfs::unlinkat(parent, name, AtFlags::empty())?;
                    Ok(make()?)
                }
                r => Ok(r?),
            }
        }

        pub fn create_file(&mut self, rel: &Path, mode: u32) -> io::Result<File> {
            let (parent, name) = split(rel)?;
            let dir = self.dir(parent)?;
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = Self::replacing(dir, name, || {
                rfs::openat(dir, name, flags, Mode::from_raw_mode(mode as _))
            })?;
            Ok(File::from(fd))
        }

        pub fn symlink(&mut self, rel: &Path, target: &str) -> io::Result<()> {
            let (parent, name) = split(rel)?;
            let dir = self.dir(parent)?;
            Self::replacing(dir, name, || rfs::symlinkat(target, dir, name))
        }

        /// A hard link to the regular file `target`, looked up without following links.
        pub fn hardlink(&mut self, target: &Path, rel: &Path) -> io::Result<()> {
            let (tparent, tname) = split(target)?;
            let tdir = self.walk(tparent)?;
            let st = rfs::statat(&tdir, tname, AtFlags::SYMLINK_NOFOLLOW)?;
            if FileType::from_raw_mode(st.st_mode as _) != FileType::RegularFile {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"));
            }
            let (parent, name) = split(rel)?;
            let dir = self.dir(parent)?;
            Self::replacing(dir, name, || {
                rfs::linkat(&tdir, tname, dir, name, AtFlags::empty())
            })
        }

        /// Opens the existing directory `rel` from the root, creating nothing.
        fn walk(&self, rel: &Path) -> io::Result<OwnedFd> {
            let mut fd = rfs::openat(&self.root, ".", dir_flags(), Mode::empty())?;
            for c in rel.components() {
                if let Component::Normal(n) = c {
                    fd = rfs::openat(&fd, n, dir_flags(), Mode::empty())?;
                }
            }
            Ok(fd)
        }
    }
}

#[cfg(not(unix))]
mod sys {
    use std::fs::{self, File, OpenOptions};
    use std::io;
    use std::path::{Path, PathBuf};

    use super::split;

    /// Links never reach the writer here, so there is nothing to be in the way but a
    /// file where a directory should be.
    pub fn is_link_in_the_way(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::NotADirectory
    }

    pub struct Dirs {
        root: PathBuf,
    }

    impl Dirs {
        pub fn open(root: &Path) -> io::Result<Dirs> {
            if !fs::symlink_metadata(root)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            Ok(Dirs {
                root: root.to_path_buf(),
            })
        }

        pub fn dir(&mut self, rel: &Path) -> io::Result<()> {
            fs::create_dir_all(self.root.join(rel))
        }

        fn replace(path: &Path) -> io::Result<()> {
            match fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "a directory is in the way",
                )),
                Ok(_) => fs::remove_file(path),
                Err(_) => Ok(()),
            }
        }

        pub fn create_file(&mut self, rel: &Path, _mode: u32) -> io::Result<File> {
            let (parent, _) = split(rel)?;
            self.dir(parent)?;
            let path = self.root.join(rel);
            Self::replace(&path)?;
            OpenOptions::new().write(true).create_new(true).open(path)
        }

        pub fn symlink(&mut self, _rel: &Path, _target: &str) -> io::Result<()> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "symlinks are not supported on this platform",
            ))
        }

        pub fn hardlink(&mut self, target: &Path, rel: &Path) -> io::Result<()> {
            let (parent, _) = split(rel)?;
            self.dir(parent)?;
            let from = self.root.join(target);
            if !fs::symlink_metadata(&from)?.is_file() {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"));
            }
            let path = self.root.join(rel);
            Self::replace(&path)?;
            fs::hard_link(from, path)
        }
    }
}

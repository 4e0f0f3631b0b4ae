//! Making an install survive power loss and kill -9: the staged tree reaches the disk
//! before the rename that publishes it, and the rename itself before we say "installed".
//! Without this a crash soon after an install can leave `versions/<v>` present but with
//! empty or missing files, on filesystems that reorder data and metadata.

use std::fs::File;
use std::io;
use std::path::Path;

/// Flushes everything written under `dir`: one `syncfs(2)` of its filesystem where the
/// OS has it (a single call, however many files), else an fsync of every file and
/// directory in the tree.
pub(crate) fn sync_tree(dir: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        let d = File::open(dir)?;
        // SAFETY: `d` is an open descriptor for the duration of the call.
        if unsafe { libc::syncfs(d.as_raw_fd()) } == 0 {
            return Ok(());
        }
        // ENOSYS and the like (old kernels, sandboxes): the portable way below.
    }
    sync_each(dir)
}

/// fsyncs every regular file and directory under `dir` (symlinks live in their parent
/// directory's data), children before parents.
fn sync_each(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_each(&entry.path())?;
        } else if kind.is_file() {
            sync_file(&entry.path())?;
        }
    }
    sync_dir(dir)
}

/// Publishes the finished tree `stage` at `dest`: flushed to disk first, then moved in
/// one step, then the move itself flushed. When `dest` exists (a forced reinstall) the
/// two trees are swapped atomically (`RENAME_EXCHANGE` on Linux, `RENAME_SWAP` on
/// macOS), so a crash at any moment leaves the old or the new tree at `dest`; the old
/// one is then at `stage`, for the caller to delete. Where the OS or filesystem cannot
/// swap, the old tree is first renamed to `trash` (a crash between the two renames
/// leaves it there, not at `dest`).
pub(crate) fn publish_dir(stage: &Path, dest: &Path, trash: &Path) -> io::Result<()> {
    sync_tree(stage)?;
    let exists = std::fs::symlink_metadata(dest).is_ok();
    if exists && !exchange(stage, dest)? {
        std::fs::rename(dest, trash)?;
        std::fs::rename(stage, dest)?;
    } else if !exists {
        std::fs::rename(stage, dest)?;
    }
    match dest.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Swaps `a` and `b` atomically; `Ok(false)` when this OS or filesystem cannot.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios"
    ))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(true),
            // Old kernels, filesystems without it (some FUSE, NFS), sandboxes.
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP | Errno::PERM) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let _ = (a, b);
    Ok(false)
}

fn sync_file(path: &Path) -> io::Result<()> {
    // Unix fsyncs through a read-only descriptor (the tree has 0o555 files); Windows
    // needs write access to flush a file.
    #[cfg(unix)]
    let f = File::open(path)?;
    #[cfg(not(unix))]
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.sync_all()
}

/// fsyncs a directory, which makes renames into or out of it durable. Windows cannot
/// open a directory as a file and journals renames itself: nothing to do there.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    return File::open(dir)?.sync_all();
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_a_tree_with_read_only_files_and_links() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("stage");
        std::fs::create_dir_all(root.join("bin/sub")).unwrap();
        std::fs::write(root.join("VERSION"), "go1.22.6\n").unwrap();
        std::fs::write(root.join("bin/sub/go"), "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let ro = std::fs::Permissions::from_mode(0o555);
            std::fs::set_permissions(root.join("bin/sub/go"), ro).unwrap();
            std::os::unix::fs::symlink("../nowhere", root.join("bin/dangling")).unwrap();
        }
        sync_each(&root).unwrap();
        sync_tree(&root).unwrap();
        sync_dir(t.path()).unwrap();
        assert!(sync_tree(&t.path().join("missing")).is_err());
    }

    #[test]
    fn publishes_new_and_swaps_existing_trees() {
        let t = tempfile::tempdir().unwrap();
        let (stage, dest, trash) = (
            t.path().join("stage"),
            t.path().join("dest"),
            t.path().join("trash"),
        );
        std::fs::create_dir(&stage).unwrap();
        std::fs::write(stage.join("VERSION"), "new").unwrap();
        publish_dir(&stage, &dest, &trash).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("VERSION")).unwrap(),
            "new"
        );
        assert!(!stage.exists());

        std::fs::create_dir(&stage).unwrap();
        std::fs::write(stage.join("VERSION"), "newer").unwrap();
        publish_dir(&stage, &dest, &trash).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("VERSION")).unwrap(),
            "newer"
        );
        // Swapped where the OS can (the old tree waits at `stage`), else moved to trash.
        let old = if cfg!(any(target_os = "linux", target_os = "macos")) {
            &stage
        } else {
            &trash
        };
        assert_eq!(std::fs::read_to_string(old.join("VERSION")).unwrap(), "new");
    }
}

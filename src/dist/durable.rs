//! Making an install survive power loss: the staged tree reaches the disk
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
}

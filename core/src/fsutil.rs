//! Atomic small-file writes: a reader sees the old file or the new one, never a torn one.

use std::io::{self, Write};
use std::path::Path;

/// Writes `contents` to `path` by writing a sibling temp file, flushing it to disk and
/// renaming it over the target, so readers see the old or the new file, never a torn one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_file(path, contents, true, None)
}

/// [`write_atomic`] without the flush, for caches: after a crash the file may be empty
/// or old, never torn.
pub fn write_atomic_cache(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_file(path, contents, false, None)
}

/// [`write_atomic_cache`] creating the file with `mode` (the umask can only clear
/// bits of it), for files whose readers check who could have written them.
#[cfg(unix)]
pub fn write_atomic_cache_mode(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    replace_file(path, contents, false, Some(mode))
}

fn replace_file(path: &Path, contents: &[u8], durable: bool, mode: Option<u32>) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp)?;
        f.write_all(contents)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("version");
        write_atomic(&p, b"1.21.13\n").unwrap();
        write_atomic(&p, b"1.22.10\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "1.22.10\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

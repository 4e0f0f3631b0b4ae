//! Reading a zip (its directory is at the end, so it is read from the finished file).

use std::io::Read;

use super::limits;
use super::tree::{too_many_entries, Tree};
use super::{refused, UnpackError};

pub(super) fn read<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    tree: &mut Tree,
) -> Result<(), UnpackError> {
    // The central directory says how many there are before anything is written.
    if zip.len() as u64 > limits::MAX_ENTRIES {
        return Err(too_many_entries());
    }
    for i in 0..zip.len() {
        tree.count_entry()?;
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
                (&mut entry)
                    .take(limits::MAX_NAME as u64 + 1)
                    .read_to_string(&mut target)
                    .map_err(|_| refused(&name, "the link target is not UTF-8"))?;
                if target.len() > limits::MAX_NAME {
                    return Err(refused(
                        &name,
                        format!(
                            "its link target is over the name-length limit of {} bytes",
                            limits::MAX_NAME
                        ),
                    ));
                }
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
}

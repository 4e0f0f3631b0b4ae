//! The last check before an unpacked tree may be committed: every symlink in it,
//! followed the way the kernel follows it (through other links, with the filesystem's
//! own case rules), stays inside the tree. The entry checks already make this true; this
//! is the independent proof on what is actually on disk.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::{refused, UnpackError};

/// Links followed in one resolution before it counts as a loop (Linux's limit).
const MAX_HOPS: u32 = 40;

/// Checks every symlink under `root`.
pub(super) fn links_stay_inside(root: &Path) -> Result<(), UnpackError> {
    walk(root, PathBuf::new())
}

fn walk(root: &Path, rel_dir: PathBuf) -> Result<(), UnpackError> {
    let dir = root.join(&rel_dir);
    let io = |source| UnpackError::Io {
        path: dir.clone(),
        source,
    };
    for entry in fs::read_dir(&dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let kind = entry.file_type().map_err(io)?;
        let rel = rel_dir.join(entry.file_name());
        if kind.is_symlink() {
            let mut at: Vec<OsString> = rel_dir.iter().map(|c| c.to_os_string()).collect();
            let target = fs::read_link(root.join(&rel)).map_err(io)?;
            let mut hops = 0;
            follow(root, &mut at, &target, &mut hops).map_err(|why| {
                refused(
                    &format!("go/{}", rel.display()),
                    format!("its link target `{}` {why}", target.display()),
                )
            })?;
        } else if kind.is_dir() {
            walk(root, rel)?;
        }
    }
    Ok(())
}

/// Resolves `target` from the directory `at` (components under `root`), following
/// links on disk; fails when a step leaves `root`.
fn follow(
    root: &Path,
    at: &mut Vec<OsString>,
    target: &Path,
    hops: &mut u32,
) -> Result<(), String> {
    for comp in target.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if at.pop().is_none() {
                    return Err("resolves outside the SDK".into());
                }
            }
            Component::Normal(n) => {
                at.push(n.to_os_string());
                // Every prefix of `at` is a real directory: links were resolved as met.
                let here: PathBuf = root.join(at.iter().collect::<PathBuf>());
                if fs::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink()) {
                    *hops += 1;
                    if *hops > MAX_HOPS {
                        return Err("is part of a link loop".into());
                    }
                    let next = fs::read_link(&here).map_err(|e| e.to_string())?;
                    at.pop();
                    follow(root, at, &next, hops)?;
                }
                // A missing name: the kernel would stop here; going on lexically is stricter.
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("is absolute".into());
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn finds_links_that_leave_the_tree_through_other_links() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("stage");
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::write(root.join("VERSION"), "go1.22.6\n").unwrap();
        symlink("VERSION", root.join("v")).unwrap();
        symlink("bin", root.join("b")).unwrap();
        symlink("b/../VERSION", root.join("bin/loopy-but-inside")).unwrap();
        symlink("missing/x", root.join("dangling")).unwrap();
        links_stay_inside(&root).unwrap();

        // The order trick of issue 11: `x -> d/d/../..` with `d -> .` is the parent.
        symlink(".", root.join("d")).unwrap();
        symlink("d/d/../..", root.join("x")).unwrap();
        let e = links_stay_inside(&root).unwrap_err().to_string();
        assert!(e.contains("go/x") && e.contains("outside"), "{e}");
        fs::remove_file(root.join("x")).unwrap();

        symlink("/etc", root.join("bin/abs")).unwrap();
        let e = links_stay_inside(&root).unwrap_err().to_string();
        assert!(e.contains("go/bin/abs") && e.contains("absolute"), "{e}");
        fs::remove_file(root.join("bin/abs")).unwrap();

        symlink("l2", root.join("l1")).unwrap();
        symlink("l1", root.join("l2")).unwrap();
        let e = links_stay_inside(&root).unwrap_err().to_string();
        assert!(e.contains("loop"), "{e}");
    }
}

//! PATH for the tool: the selected SDK's `bin` first, once.

use std::ffi::{OsStr, OsString};
use std::path::Path;

/// `dir` followed by `path` without other copies of `dir`, so repeated nesting does not
/// grow PATH.
pub fn prepend_path(dir: &Path, path: Option<&OsStr>) -> OsString {
    let rest = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|p| p != dir);
    // join_paths fails only on entries containing the separator; those came from the
    // user's PATH unchanged, so keep it verbatim after ours.
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(rest)).unwrap_or_else(|_| {
        let mut s = dir.as_os_str().to_owned();
        if let Some(p) = path {
            s.push(if cfg!(windows) { ";" } else { ":" });
            s.push(p);
        }
        s
    })
}

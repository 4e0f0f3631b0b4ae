//! Go's configuration as the go command resolves it comes from the core
//! ([`crate::go_env_file`]); doctor adds the one write it makes: `--fix` removing
//! settings from go's env file.

use std::io;
use std::path::Path;

use crate::fsutil::write_atomic;
pub use crate::go_env_file::{GoEnv, Source, Value};

/// Removes every `KEY=` line for `keys` from go's env file, atomically; returns the
/// lines removed (nothing is written when there are none).
pub fn remove_keys(path: &Path, keys: &[&str]) -> io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    let mut removed = Vec::new();
    let mut kept = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let key = line.split_once('=').map(|(k, _)| k.trim());
        if key.is_some_and(|k| keys.contains(&k)) {
            removed.push(line.trim_end().to_string());
        } else {
            kept.push_str(line);
        }
    }
    if !removed.is_empty() {
        write_atomic(path, kept.as_bytes())?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_keys_keeps_other_lines() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("env");
        std::fs::write(&p, "GOPRIVATE=x\nGOTOOLCHAIN=go1.21.0\nGOROOT=/old\n").unwrap();
        let removed = remove_keys(&p, &["GOTOOLCHAIN", "GOROOT"]).unwrap();
        assert_eq!(removed, ["GOTOOLCHAIN=go1.21.0", "GOROOT=/old"]);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "GOPRIVATE=x\n");
    }
}

//! Writing a `.gopls-version` pin (`gvr gopls pin`).

use std::path::{Path, PathBuf};

use super::{read_pin_file, GoplsError, GoplsVersion, PIN_FILE};
use crate::process::OsProcess;

/// Writes `dir/.gopls-version` atomically; returns its path and the version it held.
pub fn write_pin_file(
    dir: &Path,
    version: &GoplsVersion,
) -> Result<(PathBuf, Option<GoplsVersion>), GoplsError> {
    let path = dir.join(PIN_FILE);
    let previous = if path.is_file() {
        read_pin_file(&OsProcess, &path).ok()
    } else {
        None
    };
    crate::fsutil::write_atomic(&path, format!("{version}\n").as_bytes())
        .map_err(GoplsError::io("cannot write", &path))?;
    Ok((path, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_reports_the_previous_pin() {
        let tmp = tempfile::tempdir().unwrap();
        let (path, prev) = write_pin_file(tmp.path(), &"v0.20.0".parse().unwrap()).unwrap();
        assert_eq!(prev, None);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "v0.20.0\n");
        let (_, prev) = write_pin_file(tmp.path(), &"v0.21.1".parse().unwrap()).unwrap();
        assert_eq!(prev.unwrap().to_string(), "v0.20.0");
    }
}

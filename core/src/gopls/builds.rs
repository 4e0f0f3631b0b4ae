//! The builds of one gopls version under `$GVR_HOME/gopls/<vX>/go<version>/`.

use std::path::PathBuf;

use super::{binary_name, GoplsVersion};
use crate::home::GvrHome;
use crate::version::GoVersion;

/// One installed build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledGopls {
    pub version: GoplsVersion,
    /// The Go that built it.
    pub go: GoVersion,
    pub path: PathBuf,
}

/// The builds of one gopls version, newest Go first.
pub fn builds_of(home: &GvrHome, gopls: &GoplsVersion) -> Vec<InstalledGopls> {
    let Ok(rd) = std::fs::read_dir(home.gopls_dir().join(gopls.as_str())) else {
        return Vec::new();
    };
    let mut out: Vec<InstalledGopls> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let go: GoVersion = name.to_str()?.strip_prefix("go")?.parse().ok()?;
            let path = e.path().join(binary_name());
            path.is_file().then(|| InstalledGopls {
                version: gopls.clone(),
                go,
                path,
            })
        })
        .collect();
    out.sort_by(|a, b| b.go.cmp(&a.go));
    out
}

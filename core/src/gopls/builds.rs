//! The builds of one gopls version under `$GVR_HOME/gopls/<vX>/go<version>/`.

use std::path::PathBuf;

use super::{binary_name, GoplsVersion};
use crate::home::GvrHome;
use crate::process::Process;
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
pub fn builds_of(p: &dyn Process, home: &GvrHome, gopls: &GoplsVersion) -> Vec<InstalledGopls> {
    let dir = home.gopls_dir().join(gopls.as_str());
    let Ok(names) = p.read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<InstalledGopls> = names
        .iter()
        .filter_map(|name| {
            let go: GoVersion = name.to_str()?.strip_prefix("go")?.parse().ok()?;
            let path = dir.join(name).join(binary_name());
            p.is_file(&path).then(|| InstalledGopls {
                version: gopls.clone(),
                go,
                path,
            })
        })
        .collect();
    out.sort_by(|a, b| b.go.cmp(&a.go));
    out
}

//! The kit's layout. One directory is at once:
//!
//! - a mirror of go.dev's download layout: archives by name, `<archive>.sha256`
//!   sidecars and `index.json` (go.dev's schema) listing exactly what the kit holds;
//! - a `file://` GOPROXY: `golang.org/toolchain/@v/{list,<v>.info,<v>.mod,<v>.zip}` for
//!   the same releases, the gopls module closure, and under `sumdb/<name>/` the
//!   checksum-database material (`supported`, `latest`, `lookup/…`, `tile/…`) a proxy
//!   serves, so Go and gvr verify every module offline;
//! - `gvr-kit.json`: the sha256 of every file, so `gvr mirror verify` and installs
//!   name the exact file that changed. It vouches for nothing by itself: trust comes
//!   from the database's signed tree head and proofs.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dist::index::{Artifact, Release};
use crate::fsutil::write_atomic;

pub const MANIFEST: &str = "gvr-kit.json";
pub const INDEX: &str = "index.json";
/// Held by `gvr mirror sync` for its whole run.
pub const LOCK: &str = ".gvr-sync.lock";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// The layout's version.
    pub gvr_kit: u32,
    /// The checksum database whose material the kit carries (`sum.golang.org`).
    pub sumdb: String,
    /// Every file but the manifest and the lock, by slash-separated relative path.
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// A kit directory on this machine.
#[derive(Debug, Clone)]
pub struct Kit {
    root: PathBuf,
}

impl Kit {
    pub fn new(root: impl Into<PathBuf>) -> Kit {
        Kit { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn sumdb_rel(db: &str, rel: &str) -> String {
        format!("sumdb/{db}/{rel}")
    }

    /// Reads `gvr-kit.json`; `None` when there is none.
    pub fn manifest(&self) -> io::Result<Option<Manifest>> {
        let p = self.path(MANIFEST);
        match fs::read(&p) {
            Ok(b) => Manifest::parse(&b)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The kit's `index.json` as releases (empty when there is none yet).
    pub fn releases(&self) -> io::Result<Vec<Release>> {
        match fs::read(self.path(INDEX)) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Adds (or replaces) `art` under release `version` in `index.json`, newest
    /// release first as go.dev lists them.
    pub fn add_to_index(&self, version: &str, stable: bool, art: Artifact) -> io::Result<()> {
        let mut releases = self.releases()?;
        let pos = match releases.iter().position(|r| r.version == version) {
            Some(i) => i,
            None => {
                releases.push(Release {
                    version: version.to_string(),
                    stable,
                    files: Vec::new(),
                });
                releases.len() - 1
            }
        };
        let files = &mut releases[pos].files;
        files.retain(|f| f.filename != art.filename);
        files.push(art);
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
        releases.sort_by(|a, b| {
            let key = |r: &Release| {
                r.version
                    .trim_start_matches("go")
                    .parse::<crate::GoVersion>()
                    .ok()
            };
            key(b).cmp(&key(a))
        });
        let json = serde_json::to_vec_pretty(&releases).map_err(io::Error::other)?;
        write_atomic(&self.path(INDEX), &json)
    }

    /// Every file of the kit (relative, slash-separated), except the manifest, the lock
    /// and the hidden scratch files of a sync.
    pub fn files(&self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || (rel.is_empty() && name == MANIFEST) {
                    continue;
                }
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let ft = entry.file_type()?;
                if ft.is_dir() {
                    stack.push((entry.path(), child));
                } else {
                    out.push(child);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes the scratch files a killed sync left: the temp files of atomic writes,
    /// and with `partials` also the `.<name>.partial` downloads (which a sync otherwise
    /// continues). Only called with the sync lock held.
    pub fn clean_scratch(&self, partials: bool) -> io::Result<usize> {
        let mut removed = 0;
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let ft = entry.file_type()?;
                if ft.is_dir() {
                    if !name.starts_with('.') {
                        stack.push(entry.path());
                    }
                } else if name.starts_with('.')
                    && ((partials && name.ends_with(".partial")) || name.contains(".tmp"))
                {
                    fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// Where a download for `final_path` is written until it is verified: a hidden
/// sibling, so nothing half-written ever has a final name.
pub fn partial_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.partial"))
}

/// Module path escaping for the proxy layout is [`crate::dist::sumdb::escape`]; this
/// is its inverse, for reading module paths back from a kit's directories.
pub fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut bang = false;
    for c in s.chars() {
        if bang {
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
            bang = false;
        } else if c == '!' {
            bang = true;
        } else if c.is_ascii_uppercase() {
            return None;
        } else {
            out.push(c);
        }
    }
    (!bang).then_some(out)
}

/// The `(module, version)` pairs the kit's GOPROXY layout holds: every
/// `<module>/@v/<version>.mod` or `.zip` (the sumdb tree excluded).
pub fn modules(kit: &Kit) -> io::Result<Vec<ModuleFiles>> {
    let mut found: BTreeMap<(String, String), ModuleFiles> = BTreeMap::new();
    for rel in kit.files()? {
        if rel.starts_with("sumdb/") {
            continue;
        }
        let Some((module_dir, file)) = rel.split_once("/@v/") else {
            continue;
        };
        let (version, ext) = match file.rsplit_once('.') {
            Some((v, e @ ("mod" | "zip"))) if !v.contains('/') => (v, e),
            _ => continue,
        };
        let (Some(module), Some(version)) = (unescape(module_dir), unescape(version)) else {
            continue;
        };
        let e = found
            .entry((module.clone(), version.clone()))
            .or_insert_with(|| ModuleFiles {
                module,
                version,
                mod_file: None,
                zip_file: None,
            });
        if ext == "mod" {
            e.mod_file = Some(rel.clone());
        } else {
            e.zip_file = Some(rel.clone());
        }
    }
    Ok(found.into_values().collect())
}

/// One module version in the kit and its files (relative paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFiles {
    pub module: String,
    pub version: String,
    pub mod_file: Option<String>,
    pub zip_file: Option<String>,
}

/// The kit behind `--mirror`, if it is one: its manifest read from a directory or
/// fetched from an http(s) URL. `Ok(None)` for a plain go.dev-layout mirror, or an
/// http(s) one that cannot be asked.
pub fn material(
    mirror: &str,
    http: &dyn crate::dist::goproxy::Http,
) -> Result<Option<crate::dist::trust::KitMaterial>, String> {
    use crate::dist::goproxy::HttpError;
    use crate::dist::source::{parse_location, Location};
    let location = parse_location(mirror).map_err(|e| e.to_string())?;
    let body = match &location {
        Location::Dir(d) => match fs::read(d.join(MANIFEST)) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("reading {}: {e}", d.join(MANIFEST).display())),
        },
        Location::Http(u) => match http.get(&format!("{u}/{MANIFEST}"), &crate::report::Silent) {
            Ok(b) => b,
            // Unreachable (or --offline): used as a plain mirror, whose own failures
            // (or the download cache) then decide.
            Err(HttpError::NotFound(_) | HttpError::Failed(_)) => return Ok(None),
            // A certificate error or a downgrade is the install's error, not "no kit".
            Err(e @ HttpError::Untrusted(_)) => return Err(e.to_string()),
        },
        Location::GoDev => return Ok(None),
    };
    let m = Manifest::parse(&body)
        .map_err(|e| format!("{mirror}/{MANIFEST} is not a kit manifest: {e}"))?;
    Ok(Some(crate::dist::trust::KitMaterial {
        location,
        files: m.files,
        shown: mirror.to_string(),
    }))
}

/// The kit as a GOPROXY entry: its `file://` URL or its http(s) URL.
pub fn proxy_url(location: &crate::dist::source::Location) -> String {
    use crate::dist::source::{file_url, Location};
    match location {
        Location::Dir(d) => file_url(d),
        Location::Http(u) => u.clone(),
        Location::GoDev => unreachable!("a kit is a mirror"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        assert_eq!(
            unescape("github.com/!burnt!sushi/toml").unwrap(),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(
            crate::dist::sumdb::escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert!(unescape("github.com/Bad").is_none());
        assert!(unescape("trailing!").is_none());
    }

    #[test]
    fn lists_modules_and_skips_scratch() {
        let d = tempfile::tempdir().unwrap();
        let kit = Kit::new(d.path());
        let w = |rel: &str| {
            let p = kit.path(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"x").unwrap();
        };
        w("golang.org/toolchain/@v/v0.0.1-go1.22.6.linux-amd64.zip");
        w("golang.org/toolchain/@v/v0.0.1-go1.22.6.linux-amd64.mod");
        w("golang.org/toolchain/@v/list");
        w("github.com/!burnt!sushi/toml/@v/v1.4.0.mod");
        w("sumdb/sum.golang.org/lookup/golang.org/x/mod@v0.1.0");
        w("golang.org/toolchain/@v/.v0.0.1-go1.22.10.linux-amd64.zip.partial");
        let m = modules(&kit).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].module, "github.com/BurntSushi/toml");
        assert_eq!(m[0].zip_file, None);
        assert_eq!(m[1].version, "v0.0.1-go1.22.6.linux-amd64");
        assert!(m[1].zip_file.is_some() && m[1].mod_file.is_some());
        assert_eq!(kit.clean_scratch(false).unwrap(), 0);
        assert_eq!(kit.clean_scratch(true).unwrap(), 1);
        assert_eq!(kit.files().unwrap().len(), 5);
    }
}

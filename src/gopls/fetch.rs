//! Prebuilt gopls from a mirror: `<mirror>/gopls/<vX>/gopls-<vX>-go<version>-<os>-<arch>`
//! with a `.sha256` sidecar. The sidecar is read first: no sidecar means the mirror has
//! no such build (the caller builds from source); a sidecar with a binary that does not
//! match is an error, never a silent fallback.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{GoplsError, GoplsVersion};
use crate::version::GoVersion;

/// A mirror as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorLocation {
    /// An `http://` or `https://` base URL (no trailing slash).
    Http(String),
    /// A `file://` URL or a plain directory.
    Dir(PathBuf),
}

impl MirrorLocation {
    pub fn parse(s: &str) -> Result<MirrorLocation, GoplsError> {
        let bad = || GoplsError::BadMirror {
            mirror: s.to_string(),
        };
        let t = s.trim();
        if t.starts_with("http://") || t.starts_with("https://") {
            return Ok(MirrorLocation::Http(t.trim_end_matches('/').to_string()));
        }
        if let Some(rest) = t.strip_prefix("file://") {
            // file:///abs/path (an empty host); `file://localhost/abs` is also local.
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(bad());
            }
            return Ok(MirrorLocation::Dir(PathBuf::from(
                percent_decode(path).ok_or_else(bad)?,
            )));
        }
        if t.is_empty() || t.contains("://") {
            return Err(bad());
        }
        Ok(MirrorLocation::Dir(PathBuf::from(t)))
    }

    /// Where `rel` (slash-separated) lives in this mirror, for messages and receipts.
    pub fn locate(&self, rel: &str) -> String {
        match self {
            MirrorLocation::Http(base) => format!("{base}/{rel}"),
            MirrorLocation::Dir(dir) => dir.join(rel).display().to_string(),
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Go's name for this OS and architecture.
pub(crate) fn go_os_arch() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        other => other,
    };
    (os, arch)
}

/// The mirror's name for a build (`gopls-v0.20.0-go1.24.11-linux-amd64`).
pub fn prebuilt_name(gopls: &GoplsVersion, go: &GoVersion) -> String {
    let (os, arch) = go_os_arch();
    let exe = if cfg!(windows) { ".exe" } else { "" };
    format!("gopls-{gopls}-go{go}-{os}-{arch}{exe}")
}

/// A verified prebuilt binary written to `dest`.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub url: String,
    pub sidecar: String,
    pub sha256: String,
}

/// Fetches the prebuilt build into `dest` if the mirror has one (`Ok(None)` if not).
pub(crate) fn fetch_prebuilt(
    mirror: &MirrorLocation,
    gopls: &GoplsVersion,
    go: &GoVersion,
    dest: &Path,
) -> Result<Option<Fetched>, GoplsError> {
    let rel = format!("gopls/{gopls}/{}", prebuilt_name(gopls, go));
    let url = mirror.locate(&rel);
    let sidecar = format!("{url}.sha256");
    let Some(sidecar_text) = read_small(mirror, &format!("{rel}.sha256"))? else {
        return Ok(None);
    };
    let expected = sidecar_text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GoplsError::BadSidecar { url: sidecar });
    }
    let actual = match mirror {
        MirrorLocation::Http(_) => {
            let resp = agent()
                .get(&url)
                .call()
                .map_err(|e| download_error(&url, e))?;
            copy_hashing(&mut resp.into_body().into_reader(), dest, &url)?
        }
        MirrorLocation::Dir(dir) => {
            let src = dir.join(&rel);
            let mut f = File::open(&src).map_err(GoplsError::io("cannot open", &src))?;
            copy_hashing(&mut f, dest, &url)?
        }
    };
    if actual != expected {
        let _ = std::fs::remove_file(dest);
        return Err(GoplsError::ChecksumMismatch {
            url,
            sidecar,
            expected,
            actual,
        });
    }
    Ok(Some(Fetched {
        url,
        sidecar,
        sha256: actual,
    }))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(300)))
        .build()
        .into()
}

fn download_error(url: &str, e: ureq::Error) -> GoplsError {
    GoplsError::Download {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// A small text file of the mirror, `None` when it is not there (404/410, or no file).
fn read_small(mirror: &MirrorLocation, rel: &str) -> Result<Option<String>, GoplsError> {
    match mirror {
        MirrorLocation::Http(_) => {
            let url = mirror.locate(rel);
            match agent().get(&url).call() {
                Ok(resp) => {
                    let mut text = String::new();
                    resp.into_body()
                        .into_reader()
                        .take(4096)
                        .read_to_string(&mut text)
                        .map_err(|e| GoplsError::Download {
                            url: url.clone(),
                            reason: e.to_string(),
                        })?;
                    Ok(Some(text))
                }
                Err(ureq::Error::StatusCode(404 | 410)) => Ok(None),
                Err(e) => Err(download_error(&url, e)),
            }
        }
        MirrorLocation::Dir(dir) => {
            let path = dir.join(rel);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(GoplsError::Io {
                    action: "cannot read",
                    path,
                    source: e,
                }),
            }
        }
    }
}

/// Copies `src` to `dest`, hashing each chunk as it passes; returns the hex sha256.
fn copy_hashing(src: &mut dyn Read, dest: &Path, url: &str) -> Result<String, GoplsError> {
    let mut out = File::create(dest).map_err(GoplsError::io("cannot create", dest))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf).map_err(|e| GoplsError::Download {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(GoplsError::io("cannot write", dest))?;
    }
    out.sync_all()
        .map_err(GoplsError::io("cannot write", dest))?;
    Ok(hex::encode(hasher.finalize()))
}

/// The sha256 of a file, hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String, GoplsError> {
    let mut f = File::open(path).map_err(GoplsError::io("cannot open", path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).map_err(GoplsError::io("cannot read", path))?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_locations() {
        assert_eq!(
            MirrorLocation::parse("https://m.example/go/").unwrap(),
            MirrorLocation::Http("https://m.example/go".into())
        );
        assert_eq!(
            MirrorLocation::parse("file:///srv/my%20mirror").unwrap(),
            MirrorLocation::Dir("/srv/my mirror".into())
        );
        assert_eq!(
            MirrorLocation::parse("/srv/m").unwrap(),
            MirrorLocation::Dir("/srv/m".into())
        );
        assert!(MirrorLocation::parse("ftp://x").is_err());
        assert!(MirrorLocation::parse("file://host/x").is_err());
    }

    #[test]
    fn prebuilt_names_follow_the_layout() {
        let name = prebuilt_name(&"v0.20.0".parse().unwrap(), &"1.24.11".parse().unwrap());
        assert!(name.starts_with("gopls-v0.20.0-go1.24.11-"), "{name}");
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(name, "gopls-v0.20.0-go1.24.11-linux-amd64");
        }
    }

    #[test]
    fn dir_mirror_good_missing_and_bad() {
        let m = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let mirror = MirrorLocation::Dir(m.path().to_path_buf());
        let (gopls, go) = ("v0.20.0".parse().unwrap(), "1.24.11".parse().unwrap());
        let dest = out.path().join("gopls");
        assert!(fetch_prebuilt(&mirror, &gopls, &go, &dest)
            .unwrap()
            .is_none());

        let dir = m.path().join("gopls/v0.20.0");
        std::fs::create_dir_all(&dir).unwrap();
        let name = prebuilt_name(&gopls, &go);
        std::fs::write(dir.join(&name), b"binary").unwrap();
        let sum = hex::encode(Sha256::digest(b"binary"));
        std::fs::write(
            dir.join(format!("{name}.sha256")),
            format!("{sum}  {name}\n"),
        )
        .unwrap();
        let f = fetch_prebuilt(&mirror, &gopls, &go, &dest)
            .unwrap()
            .unwrap();
        assert_eq!(f.sha256, sum);
        assert_eq!(std::fs::read(&dest).unwrap(), b"binary");

        std::fs::write(dir.join(format!("{name}.sha256")), "0".repeat(64)).unwrap();
        let e = fetch_prebuilt(&mirror, &gopls, &go, &dest).unwrap_err();
        assert!(matches!(e, GoplsError::ChecksumMismatch { .. }), "{e}");
        assert!(!dest.exists());
        std::fs::write(dir.join(format!("{name}.sha256")), "not a sum").unwrap();
        assert!(matches!(
            fetch_prebuilt(&mirror, &gopls, &go, &dest).unwrap_err(),
            GoplsError::BadSidecar { .. }
        ));
    }
}

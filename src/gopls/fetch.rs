//! Prebuilt gopls from a mirror: `<mirror>/gopls/<vX>/gopls-<vX>-go<version>-<os>-<arch>`
//! with a `.sha256` sidecar. The sidecar is read first: no sidecar means the mirror has
//! no such build (the caller builds from source); a sidecar with a binary that does not
//! match is an error, never a silent fallback.
//!
//! Mirror locations, platform names and HTTP (retries with backoff, `Range` resume,
//! size checks) are dist's, so a mirror behaves the same for SDKs and for gopls.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{GoplsError, GoplsVersion};
use crate::dist::fetch::{FetchError, Fetcher, Small};
use crate::dist::index::Platform;
use crate::dist::source::{file_url, parse_sidecar, Location};
use crate::report::Reporter;
use crate::version::GoVersion;

/// The mirror's name for a build (`gopls-v0.20.0-go1.24.11-linux-amd64`), with the
/// os and arch named as in the mirror's Go archives.
pub fn prebuilt_name(gopls: &GoplsVersion, go: &GoVersion) -> String {
    let exe = if cfg!(windows) { ".exe" } else { "" };
    format!("gopls-{gopls}-go{go}-{}{exe}", Platform::current())
}

/// A verified prebuilt binary written to `dest`.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub url: String,
    pub sidecar: String,
    pub sha256: String,
}

/// Where `rel` (slash-separated) lives in the mirror: a URL, or a path for a directory.
enum Place {
    Url(String),
    Path(std::path::PathBuf),
}

impl Place {
    fn of(mirror: &Location, rel: &str) -> Option<Place> {
        match mirror {
            // go.dev publishes no gopls builds.
            Location::GoDev => None,
            Location::Http(base) => Some(Place::Url(format!("{base}/{rel}"))),
            Location::Dir(dir) => Some(Place::Path(dir.join(rel))),
        }
    }

    /// For messages and receipts: always a URL.
    fn url(&self) -> String {
        match self {
            Place::Url(u) => u.clone(),
            Place::Path(p) => file_url(p),
        }
    }
}

/// Fetches the prebuilt build into `dest` if the mirror has one (`Ok(None)` if not).
pub(crate) fn fetch_prebuilt(
    fetcher: &Fetcher,
    mirror: &Location,
    gopls: &GoplsVersion,
    go: &GoVersion,
    dest: &Path,
    reporter: &dyn Reporter,
) -> Result<Option<Fetched>, GoplsError> {
    let rel = format!("gopls/{gopls}/{}", prebuilt_name(gopls, go));
    let (Some(binary), Some(side)) = (
        Place::of(mirror, &rel),
        Place::of(mirror, &format!("{rel}.sha256")),
    ) else {
        return Ok(None);
    };
    let (url, sidecar) = (binary.url(), side.url());
    let Some(sidecar_text) = read_sidecar(fetcher, &side, reporter)? else {
        return Ok(None);
    };
    let expected = parse_sidecar(&sidecar_text).ok_or_else(|| GoplsError::BadSidecar {
        url: sidecar.clone(),
    })?;

    let mut out = File::create(dest).map_err(GoplsError::io("cannot create", dest))?;
    let mut hasher = Sha256::new();
    let mut sink = |bytes: &[u8]| {
        hasher.update(bytes);
        out.write_all(bytes)
    };
    let copied = match &binary {
        Place::Url(u) => fetcher.download_file(u, None, reporter, &mut sink),
        Place::Path(p) => copy_file(p, &mut sink),
    };
    if let Err(e) = copied {
        let _ = std::fs::remove_file(dest);
        return Err(match e {
            FetchError::Sink(source) => GoplsError::Io {
                action: "cannot write",
                path: dest.to_path_buf(),
                source,
            },
            other => GoplsError::from(other),
        });
    }
    out.sync_all()
        .map_err(GoplsError::io("cannot write", dest))?;
    let actual = hex::encode(hasher.finalize());
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

/// The sidecar's text, `None` when the mirror has none (404/410, or no file).
fn read_sidecar(
    fetcher: &Fetcher,
    side: &Place,
    reporter: &dyn Reporter,
) -> Result<Option<String>, GoplsError> {
    let bytes = match side {
        Place::Url(url) => match fetcher.get_small(url, None, reporter) {
            Ok(Small::Body { bytes, .. }) => bytes,
            Ok(Small::NotModified) | Err(FetchError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        },
        Place::Path(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(GoplsError::io("cannot read", path)(e)),
        },
    };
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A mirror directory's file, fed to `sink` like a download.
fn copy_file(
    path: &Path,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<u64, FetchError> {
    let local = |source| FetchError::Local {
        path: path.display().to_string(),
        source,
    };
    let mut f = File::open(path).map_err(local)?;
    let mut buf = vec![0u8; crate::dist::fetch::CHUNK];
    let mut total = 0;
    loop {
        let n = match std::io::Read::read(&mut f, &mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(local(e)),
        };
        sink(&buf[..n]).map_err(FetchError::Sink)?;
        total += n as u64;
    }
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
    use crate::dist::fetch::FetchConfig;
    use crate::report::Silent;

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
        let mirror = Location::Dir(m.path().to_path_buf());
        let fetcher = Fetcher::new(FetchConfig::from_env(false));
        let (gopls, go) = ("v0.20.0".parse().unwrap(), "1.24.11".parse().unwrap());
        let dest = out.path().join("gopls");
        let fetch = || fetch_prebuilt(&fetcher, &mirror, &gopls, &go, &dest, &Silent);
        assert!(fetch().unwrap().is_none());

        let dir = m.path().join("gopls/v0.20.0");
        std::fs::create_dir_all(&dir).unwrap();
        let name = prebuilt_name(&gopls, &go);
        // An ELF header: a binary, not an archive, passes.
        let body = b"\x7fELF binary";
        std::fs::write(dir.join(&name), body).unwrap();
        let sum = hex::encode(Sha256::digest(body));
        std::fs::write(
            dir.join(format!("{name}.sha256")),
            format!("{sum}  {name}\n"),
        )
        .unwrap();
        let f = fetch().unwrap().unwrap();
        assert_eq!(f.sha256, sum);
        assert_eq!(f.url, file_url(&dir.join(&name)));
        assert_eq!(std::fs::read(&dest).unwrap(), body);

        std::fs::write(dir.join(format!("{name}.sha256")), "0".repeat(64)).unwrap();
        let e = fetch().unwrap_err();
        assert!(matches!(e, GoplsError::ChecksumMismatch { .. }), "{e}");
        assert!(!dest.exists());
        std::fs::write(dir.join(format!("{name}.sha256")), "not a sum").unwrap();
        assert!(matches!(
            fetch().unwrap_err(),
            GoplsError::BadSidecar { .. }
        ));
    }
}

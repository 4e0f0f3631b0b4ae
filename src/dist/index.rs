//! go.dev's release index: the JSON array served by `https://go.dev/dl/?mode=json&include=all`
//! (and by mirrors as `index.json`). Archives are picked by the `os`, `arch` and `kind`
//! fields, never by parsing file names, and the array's order is never trusted.

use serde::{Deserialize, Serialize};

use crate::version::{GoVersion, VersionSpec};

/// One release as the index lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Release {
    pub version: String,
    #[serde(default)]
    pub stable: bool,
    #[serde(default)]
    pub files: Vec<Artifact>,
}

/// One downloadable file of a release.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Artifact {
    pub filename: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub version: String,
    /// Lowercase hex; empty for very old files that only had a SHA1 (= unknown).
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub kind: String,
}

impl Artifact {
    /// The sha256 when the index gives a well-formed one.
    pub fn sha256(&self) -> Option<String> {
        let s = self.sha256.trim().to_ascii_lowercase();
        is_sha256_hex(&s).then_some(s)
    }

    /// The file name, when it is a plain one: a single name of the characters go.dev
    /// uses, starting with `go` and ending in `.tar.gz` or `.zip`. It is joined to the
    /// mirror's base URL or directory and to cache paths, so `../x`, an absolute path or
    /// anything with a separator would reach elsewhere.
    pub fn file_name(&self) -> Result<&str, IndexError> {
        let n = self.filename.as_str();
        let plain = n.len() <= 255
            && n.starts_with("go")
            && (n.ends_with(".tar.gz") || n.ends_with(".zip"))
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'));
        if plain {
            Ok(n)
        } else {
            Err(IndexError::BadFilename {
                version: self.version.clone(),
                filename: n.to_string(),
            })
        }
    }

    /// The size when the index gives one (0 means unknown).
    pub fn size(&self) -> Option<u64> {
        (self.size > 0).then_some(self.size)
    }
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Go port as the index names it (`linux`/`amd64`, `linux`/`armv6l`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    /// The platform this gvr binary runs on, mapped from Rust's names to Go's.
    pub fn current() -> Platform {
        Platform::from_rust(std::env::consts::OS, std::env::consts::ARCH)
    }

    pub fn from_rust(os: &str, arch: &str) -> Platform {
        let os = match os {
            "macos" => "darwin",
            other => other,
        };
        let arch = match arch {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            // go.dev names 32-bit ARM Linux archives `armv6l`.
            "arm" => "armv6l",
            "loongarch64" => "loong64",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            other => other,
        };
        Platform {
            os: os.to_string(),
            arch: arch.to_string(),
        }
    }

    /// The archive file name go.dev uses for `version` on this platform. Only used when
    /// there is no index to read the name from (a sidecar-only mirror).
    pub fn archive_filename(&self, version: &GoVersion) -> String {
        let ext = if self.os == "windows" {
            "zip"
        } else {
            "tar.gz"
        };
        format!("go{version}.{}-{}.{ext}", self.os, self.arch)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.os, self.arch)
    }
}

impl Release {
    /// The archive (not installer or source) for `platform`. When an old release lists
    /// two archives for one platform, the one with a sha256 wins.
    pub fn archive_for(&self, platform: &Platform) -> Option<&Artifact> {
        let mut matching = self
            .files
            .iter()
            .filter(|f| f.kind == "archive" && f.os == platform.os && f.arch == platform.arch);
        let first = matching.next()?;
        if first.sha256().is_some() {
            return Some(first);
        }
        matching.find(|f| f.sha256().is_some()).or(Some(first))
    }

    /// The platforms this release has archives for, sorted (`darwin-arm64`, …).
    pub fn archive_platforms(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|f| f.kind == "archive" && !f.os.is_empty())
            .map(|f| format!("{}-{}", f.os, f.arch))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the release index is not the JSON array go.dev serves: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the index names {version}'s archive {filename:?}, which is not a plain file name (one name like go1.22.6.linux-amd64.tar.gz, without separators or `..`); refusing to fetch it")]
    BadFilename { version: String, filename: String },
}

/// A parsed release index. Releases whose names are not Go versions (a handful of
/// historical oddities) are skipped.
#[derive(Debug, Clone)]
pub struct Index {
    releases: Vec<(GoVersion, Release)>,
}

impl Index {
    pub fn parse(bytes: &[u8]) -> Result<Index, IndexError> {
        let raw: Vec<Release> = serde_json::from_slice(bytes)?;
        let mut releases: Vec<(GoVersion, Release)> = raw
            .into_iter()
            .filter_map(|r| Some((r.version.parse().ok()?, r)))
            .collect();
        // Newest first, whatever order the server used; first occurrence of a duplicate wins.
        releases.sort_by(|a, b| b.0.cmp(&a.0));
        releases.dedup_by(|a, b| a.0 == b.0);
        Ok(Index { releases })
    }

    /// All versions, newest first.
    pub fn versions(&self) -> impl Iterator<Item = &GoVersion> {
        self.releases.iter().map(|(v, _)| v)
    }

    pub fn release(&self, v: &GoVersion) -> Option<&Release> {
        self.entry(v).map(|(_, r)| r)
    }

    /// The release equal to `v` by Go's ordering, with the index's own name for it
    /// (`1.20.0` → `go1.20`).
    pub fn entry(&self, v: &GoVersion) -> Option<(&GoVersion, &Release)> {
        self.releases
            .iter()
            .find(|(rv, _)| rv == v)
            .map(|(rv, r)| (rv, r))
    }

    /// The version `spec` names in this index.
    pub fn resolve(&self, spec: &VersionSpec) -> Option<GoVersion> {
        spec.pick(self.versions()).cloned()
    }

    /// Versions close to `wanted`, for "did you mean": the newest ones of the same minor,
    /// else the neighbours in order. Stable releases first.
    pub fn nearest(&self, wanted: &GoVersion, n: usize) -> Vec<GoVersion> {
        let same_minor: Vec<GoVersion> = self
            .versions()
            .filter(|v| v.major() == wanted.major() && v.minor() == wanted.minor())
            .take(n)
            .cloned()
            .collect();
        if !same_minor.is_empty() {
            return same_minor;
        }
        let stable: Vec<&GoVersion> = self.versions().filter(|v| v.is_stable()).collect();
        // Newest first: the first one older than `wanted`, plus its neighbours.
        let pos = stable
            .iter()
            .position(|v| *v < wanted)
            .unwrap_or(stable.len());
        let start = pos.saturating_sub(n / 2);
        stable
            .iter()
            .skip(start)
            .take(n)
            .map(|v| (*v).clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_archive_names() {
        let art = |name: &str| Artifact {
            filename: name.to_string(),
            os: "linux".into(),
            arch: "amd64".into(),
            version: "go1.22.6".into(),
            sha256: String::new(),
            size: 0,
            kind: "archive".into(),
        };
        for good in [
            "go1.22.6.linux-amd64.tar.gz",
            "go1.22.6.windows-amd64.zip",
            "go1.4.2.darwin-amd64-osx10.8.tar.gz",
            "go1.23rc1.linux-armv6l.tar.gz",
        ] {
            assert_eq!(art(good).file_name().unwrap(), good);
        }
        for bad in [
            "../../x.tar.gz",
            "/etc/go1.22.6.linux-amd64.tar.gz",
            "sub/go1.22.6.linux-amd64.tar.gz",
            "sub\\go1.22.6.linux-amd64.tar.gz",
            "go1.22.6.linux-amd64.tar.gz/..",
            "..",
            "",
            "go1.22.6 linux.tar.gz",
            "go1.22.6.linux-amd64.tar.gz\n",
            "go1.22.6.linux-amd64.msi",
            "%2e%2e.tar.gz",
            "go1.22.6.linux-amd64.tar.gz?x=.zip",
        ] {
            let e = art(bad).file_name().unwrap_err().to_string();
            assert!(
                e.contains("not a plain file name") && e.contains("go1.22.6"),
                "{bad}: {e}"
            );
        }
    }

    const SAMPLE: &str = r#"[
 {"version": "go1.21.13", "stable": true, "files": [
   {"filename": "go1.21.13.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.21.13", "sha256": "502fc16d5910562461e6a6631fb6377de2322aad7304bf2bcd23500ba9dab4a7", "size": 66000000, "kind": "archive"},
   {"filename": "go1.21.13.src.tar.gz", "os": "", "arch": "", "version": "go1.21.13", "sha256": "71fb31606a1de48d129d591e8717a63e0c5565ffba09a24ea9f899a13214c34d", "size": 1, "kind": "source"}
 ]},
 {"version": "go1.23rc1", "stable": false, "files": []},
 {"version": "go1.22.10", "stable": true, "files": [
   {"filename": "go1.22.10.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.22.10", "sha256": "736ce492a19d756a92719a6121226087ccd91b652ed5caec40ad6dbfb2252092", "size": 68000000, "kind": "archive"},
   {"filename": "go1.22.10.windows-amd64.msi", "os": "windows", "arch": "amd64", "version": "go1.22.10", "sha256": "", "size": 5, "kind": "installer"},
   {"filename": "go1.22.10.windows-amd64.zip", "os": "windows", "arch": "amd64", "version": "go1.22.10", "sha256": "da66f107a0f4959f4615bede230c6bf145a6f01252c6d1ff2b107e293ba339df", "size": 7, "kind": "archive"}
 ]},
 {"version": "go1.9.2rc2", "stable": false, "files": []},
 {"version": "go1.4.2", "stable": true, "files": [
   {"filename": "go1.4.2.darwin-amd64-osx10.6.tar.gz", "os": "darwin", "arch": "amd64", "version": "go1.4.2", "sha256": "", "size": 0, "kind": "archive"},
   {"filename": "go1.4.2.darwin-amd64-osx10.8.tar.gz", "os": "darwin", "arch": "amd64", "version": "go1.4.2", "sha256": "", "size": 0, "kind": "archive"}
 ]},
 {"version": "go1.22.6", "stable": true, "files": []}
]"#;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_orders_newest_first() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let vs: Vec<String> = idx.versions().map(|v| v.to_string()).collect();
        // Order is by Go's rules, not the file's.
        assert_eq!(vs, ["1.23rc1", "1.22.10", "1.22.6", "1.21.13", "1.4.2"]);
        let bad = Index::parse(br#"[{"version": "weekly.2011-01-01", "files": []}]"#).unwrap();
        assert_eq!(
            bad.versions().count(),
            0,
            "names that are not Go versions are skipped"
        );
    }

    #[test]
    fn selects_archive_by_fields() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let r = idx.release(&v("1.22.10")).unwrap();
        let linux = Platform {
            os: "linux".into(),
            arch: "amd64".into(),
        };
        let win = Platform {
            os: "windows".into(),
            arch: "amd64".into(),
        };
        assert_eq!(
            r.archive_for(&linux).unwrap().filename,
            "go1.22.10.linux-amd64.tar.gz"
        );
        // The installer (.msi) has the same os/arch but is not an archive.
        assert_eq!(
            r.archive_for(&win).unwrap().filename,
            "go1.22.10.windows-amd64.zip"
        );
        assert!(r
            .archive_for(&Platform {
                os: "linux".into(),
                arch: "arm64".into()
            })
            .is_none());
        assert_eq!(r.archive_platforms(), ["linux-amd64", "windows-amd64"]);
    }

    #[test]
    fn empty_sha256_is_unknown() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let mac = Platform {
            os: "darwin".into(),
            arch: "amd64".into(),
        };
        let a = idx.release(&v("1.4.2")).unwrap().archive_for(&mac).unwrap();
        assert_eq!(a.sha256(), None);
        assert_eq!(a.size(), None);
        let linux = Platform {
            os: "linux".into(),
            arch: "amd64".into(),
        };
        let a = idx
            .release(&v("1.21.13"))
            .unwrap()
            .archive_for(&linux)
            .unwrap();
        assert_eq!(a.sha256().unwrap().len(), 64);
    }

    #[test]
    fn resolves_specs() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let r = |s: &str| idx.resolve(&s.parse().unwrap()).map(|v| v.to_string());
        assert_eq!(r("1.22").as_deref(), Some("1.22.10"));
        assert_eq!(r("latest").as_deref(), Some("1.22.10"));
        assert_eq!(r("go1.22.6").as_deref(), Some("1.22.6"));
        assert_eq!(r("1.23rc1").as_deref(), Some("1.23rc1"));
        assert_eq!(r("1.22.7"), None);
    }

    #[test]
    fn nearest_versions() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let near: Vec<String> = idx
            .nearest(&v("1.22.7"), 3)
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(near, ["1.22.10", "1.22.6"]);
        let near: Vec<String> = idx
            .nearest(&v("1.20.3"), 2)
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(near, ["1.21.13", "1.4.2"]);
    }

    #[test]
    fn maps_rust_platforms_to_go() {
        assert_eq!(
            Platform::from_rust("linux", "x86_64").to_string(),
            "linux-amd64"
        );
        assert_eq!(
            Platform::from_rust("macos", "aarch64").to_string(),
            "darwin-arm64"
        );
        assert_eq!(
            Platform::from_rust("windows", "x86").to_string(),
            "windows-386"
        );
        assert_eq!(
            Platform::from_rust("linux", "arm").to_string(),
            "linux-armv6l"
        );
        assert_eq!(
            Platform::from_rust("freebsd", "x86_64").to_string(),
            "freebsd-amd64"
        );
        let p = Platform::from_rust("windows", "x86_64");
        assert_eq!(
            p.archive_filename(&v("1.22.6")),
            "go1.22.6.windows-amd64.zip"
        );
        let p = Platform::from_rust("linux", "x86_64");
        assert_eq!(
            p.archive_filename(&v("1.22.6")),
            "go1.22.6.linux-amd64.tar.gz"
        );
    }
}

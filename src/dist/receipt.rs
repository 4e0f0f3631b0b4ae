//! `versions/<v>/.gvr/receipt.json`: how a version was installed.

use serde::{Deserialize, Serialize};

/// Where the sha256 an archive was checked against came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChecksumSource {
    /// go.dev's official index.
    Index { url: String },
    /// A mirror's `index.json` (or its go.dev-style index endpoint).
    MirrorIndex { url: String },
    /// A `<file>.sha256` next to the archive.
    Sidecar { url: String },
    /// Nothing: installed only because the user passed `--allow-unverified`.
    Unverified,
}

impl ChecksumSource {
    /// The receipt's `checksum_source` value.
    pub fn kind(&self) -> &'static str {
        match self {
            ChecksumSource::Index { .. } => "index",
            ChecksumSource::MirrorIndex { .. } => "mirror-index",
            ChecksumSource::Sidecar { .. } => "sidecar",
            ChecksumSource::Unverified => "unverified",
        }
    }

    pub fn url(&self) -> Option<&str> {
        match self {
            ChecksumSource::Index { url }
            | ChecksumSource::MirrorIndex { url }
            | ChecksumSource::Sidecar { url } => Some(url),
            ChecksumSource::Unverified => None,
        }
    }

    /// For people: `verified sha256 against index.json (<url>)`, `UNVERIFIED …`.
    pub fn describe(&self) -> String {
        match self {
            ChecksumSource::Index { url } => {
                format!("verified sha256 against go.dev's index ({url})")
            }
            ChecksumSource::MirrorIndex { url } if url.ends_with("index.json") => {
                format!("verified sha256 against index.json ({url})")
            }
            ChecksumSource::MirrorIndex { url } => {
                format!("verified sha256 against the mirror's index ({url})")
            }
            ChecksumSource::Sidecar { url } => format!("verified sha256 against sidecar {url}"),
            ChecksumSource::Unverified => {
                "UNVERIFIED: no sha256 was available in an index or a sidecar".to_string()
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub version: String,
    pub url: String,
    /// The archive's actual sha256 (computed while downloading).
    pub sha256: String,
    /// `index`, `mirror-index`, `sidecar` or `unverified`.
    pub checksum_source: String,
    /// Where that checksum was read, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_url: Option<String>,
    pub size: u64,
    /// Where it came from: `go.dev`, `mirror <url>`, `goproxy <url>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What vouched for it: `sumdb`, `go.dev index`, `mirror-asserted`, `file-proxy`
    /// or `unverified` (absent in receipts of older gvr versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// The `h1:` of its module-covered files (releases from 1.21 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_h1: Option<String>,
    /// Installed from the toolchain module, which lacks api/, doc/, misc/ and test/.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub toolchain_module: bool,
    /// RFC 3339, UTC.
    pub installed_at: String,
    pub gvr_version: String,
}

impl Receipt {
    pub fn read(path: &std::path::Path) -> Option<Receipt> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

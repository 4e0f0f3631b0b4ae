//! Air-gapped kits: one directory that is a go.dev-layout mirror and a `file://`
//! GOPROXY at once, with the checksum-database material to verify everything in it
//! offline (see [`kit`] for the layout). `sync` builds one on a connected machine,
//! `verify` re-checks one, `serve` shares one read-only; installs use one through
//! `--mirror` and contact nothing else.

// Errors carry file names and URLs users need; they happen once per command.
#![allow(clippy::result_large_err)]

pub mod gopls;
pub mod hash;
pub mod kit;
pub mod remote;
pub mod seal;
pub mod serve;
pub mod sync;
pub mod verify;

use std::path::{Path, PathBuf};

pub use kit::Kit;

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} is not what the checksum database records for {module}: it hashes to {got}, the database says {want}; it was not added to the kit")]
    Mismatch {
        what: String,
        module: String,
        got: String,
        want: String,
    },
    #[error("nothing vouches for {url}: its source gives no sha256 and releases before Go 1.21 are not in the checksum database; it was not added to the kit")]
    NoAnchor { url: String },
    #[error("go{version} for {platform} is only published as a go.dev archive (releases before Go 1.21 have no toolchain module), and go.dev cannot be reached; give --mirror with its archive")]
    NoArchiveSource { version: String, platform: String },
    #[error("a kit carries checksum-database proofs, and {why}; unset it (or GONOSUMDB/GOPRIVATE) to sync")]
    SumdbOff { why: String },
    #[error("{0}")]
    Gopls(String),
    #[error(transparent)]
    Source(#[from] crate::dist::SourceError),
    #[error(transparent)]
    Proxy(#[from] crate::dist::goproxy::ProxyError),
    #[error(transparent)]
    Fetch(#[from] crate::dist::fetch::FetchError),
    #[error(transparent)]
    Sumdb(#[from] crate::dist::sumdb::SumdbError),
}

impl MirrorError {
    pub fn io(path: &Path, source: std::io::Error) -> MirrorError {
        MirrorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

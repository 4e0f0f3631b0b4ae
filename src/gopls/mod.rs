//! gopls pinned per Go version: building it with an SDK or fetching a prebuilt binary
//! from a mirror, listing and removing builds, writing pins. The lookup the shim makes
//! (version names, the compatibility table, pins, where a build lives) is gvr-core's
//! and re-exported here.

// Errors carry the versions and paths a user needs to fix things; they are built once
// on a failing path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod build;
mod fetch;
mod install;
pub mod ordering;
mod pin;
mod store;
mod version_output;

use std::path::{Path, PathBuf};

use crate::version::GoVersion;

pub use gvr_core::gopls::*;

pub use build::{build_env, BuildRequest};
pub use fetch::prebuilt_name;
pub use install::{install, InstallOptions, Installed, InstalledFrom};
pub use pin::write_pin_file;
pub use store::{installed, uninstall};
pub use version_output::parse_version_output;

/// Everything that can go wrong with gopls pins, builds and downloads. Each message says
/// what happened and the command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum GoplsError {
    /// The pin or the build it names (see [`gvr_core::gopls::pinned_binary`]).
    #[error(transparent)]
    Lookup(#[from] LookupError),

    #[error("gopls {gopls} needs Go {needs} or newer to build ({why}), but go{go} was asked to build it; {fix}")]
    GoTooOld {
        gopls: GoplsVersion,
        go: GoVersion,
        needs: GoVersion,
        why: String,
        fix: String,
    },

    #[error("no Go SDK at {goroot}: {bin} does not exist; install it with `gvr install {go}`")]
    NoGoBinary {
        goroot: PathBuf,
        bin: PathBuf,
        go: GoVersion,
    },

    #[error("cannot run {program}: {source}")]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },

    #[error("`go install {MODULE}@{gopls}` with go{go} failed ({status}):\n{output}")]
    BuildFailed {
        gopls: GoplsVersion,
        go: GoVersion,
        status: String,
        output: String,
    },

    #[error("`go install` finished but left no binary at {path}")]
    NoBinary { path: PathBuf },

    #[error("`{binary} version` did not print a gopls version ({status}); it printed:\n{output}")]
    BadVersionOutput {
        binary: PathBuf,
        status: String,
        output: String,
    },

    #[error("{binary} says it is gopls {actual}, expected {expected}; nothing was installed")]
    WrongVersion {
        binary: PathBuf,
        expected: GoplsVersion,
        actual: String,
    },

    #[error("checksum mismatch for {url}: expected sha256 {expected} (from {sidecar}), got {actual}; nothing was installed")]
    ChecksumMismatch {
        url: String,
        sidecar: String,
        expected: String,
        actual: String,
    },

    #[error("{url} is not a sha256 sidecar (expected 64 hex digits first); nothing was installed")]
    BadSidecar { url: String },

    /// Fetching a prebuilt binary or its sidecar failed (after dist's retries).
    #[error(transparent)]
    Fetch(#[from] crate::dist::fetch::FetchError),

    /// `--mirror` / `GVR_MIRROR` is not a mirror location.
    #[error(transparent)]
    Mirror(#[from] crate::dist::SourceError),

    #[error("gopls {version} is not installed; `gvr gopls list` shows the installed builds")]
    NotInstalled { version: GoplsVersion },

    #[error("cannot write the receipt {path}: {reason}")]
    Receipt { path: PathBuf, reason: String },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl GoplsError {
    pub(crate) fn io<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> GoplsError + 'a {
        move |source| GoplsError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

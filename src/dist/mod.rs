//! Release distribution: the release index, where releases come from, fetching over
//! HTTP with retries and resume, safe unpacking, and the locked, atomic install.

mod archive_check;
pub mod dirhash;
pub mod distpack;
pub(crate) mod durable;
pub mod fetch;
pub mod goproxy;
pub mod index;
pub mod install;
pub mod install_module;
pub mod receipt;
pub mod source;
pub mod sumdb;
pub mod trust;
pub mod unpack;

pub use index::{Artifact, Index, Platform, Release};
pub use install::{
    install, uninstall, InstallError, InstallOptions, InstallOutcome, UninstallError,
};
pub use receipt::{ChecksumSource, Receipt};
pub use source::{Source, SourceError};

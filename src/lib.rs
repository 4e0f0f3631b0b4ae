//! gvr: a Go toolchain manager.
//!
//! The lean core (versions, home layout, selection, workspace env, exec) is always
//! built and is all the `gvr-shim` binary links. Networking, archives and the install
//! machinery sit behind the `cli` feature. The library never prints: progress goes
//! through [`report::Reporter`], results are returned to the caller.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[cfg(unix)]
pub mod decision;
pub mod exec;
pub mod fsutil;
pub mod gopls;
pub mod home;
pub mod select;
pub mod toolchain;
pub mod version;
pub mod workspace;

#[cfg(feature = "cli")]
pub mod buildinfo;
#[cfg(feature = "cli")]
pub mod check;
#[cfg(feature = "cli")]
pub mod dist;
#[cfg(feature = "cli")]
pub mod doctor;
#[cfg(feature = "cli")]
pub mod gowork;
#[cfg(feature = "cli")]
pub mod report;
#[cfg(feature = "cli")]
pub mod sdk_links;
#[cfg(feature = "cli")]
pub mod shims;
#[cfg(feature = "cli")]
pub mod vscode;

pub use home::GvrHome;
pub use version::{GoVersion, VersionSpec};

/// gvr's own version, recorded in receipts.
pub const GVR_VERSION: &str = env!("CARGO_PKG_VERSION");

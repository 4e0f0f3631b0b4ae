//! gvr: a Go toolchain manager.
//!
//! The lean core (versions, home layout, selection, workspace env, exec, the gopls
//! lookup) is the `gvr-core` crate, which the shims link; its modules are re-exported
//! here under their usual names. This crate adds what only the `gvr` command needs:
//! downloading and installing SDKs, building gopls, managing the shims. The library
//! never prints: progress goes through [`report::Reporter`], results are returned to
//! the caller.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[cfg(unix)]
pub use gvr_core::decision;
pub use gvr_core::{exec, go_env_file, home, process, select, toolchain, version, workspace};

pub mod buildinfo;
pub mod check;
pub mod dist;
pub mod doctor;
pub mod fsutil;
pub mod gopls;
pub mod gowork;
pub mod mirror;
pub mod report;
pub mod sdk_links;
pub mod shims;
pub mod vscode;

pub use home::GvrHome;
pub use version::{GoVersion, VersionSpec};

/// gvr's own version, recorded in receipts.
pub const GVR_VERSION: &str = env!("CARGO_PKG_VERSION");

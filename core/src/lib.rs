//! gvr-core: what every `go` call needs, and all the shims link.
//!
//! Go versions, gvr's home layout, which Go applies in a directory and why, the
//! workspace and its cache, the environment a tool gets, exec, the pinned gopls lookup
//! and the decision records the fast shim replays. No networking, archives, argument
//! parsing or progress bars: those are the `gvr` command's, and the dependency graph
//! keeps them out of the shims. The library never prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]
// Tests set up their fixtures with std::fs directly.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

#[cfg(unix)]
pub mod decision;
pub mod env_var;
pub mod exec;
pub mod fnv;
pub mod fsutil;
pub mod go_env_file;
pub mod gopls;
pub mod gvr_set;
pub mod here;
pub mod home;
pub mod pin_file;
pub mod process;
pub mod select;
pub mod toolchain;
pub mod version;
pub mod workspace;

pub use home::GvrHome;
pub use version::{GoVersion, VersionSpec};

//! Test support shared by the integration tests: synthetic SDKs, fixture
//! distributions, loopback servers and a hermetic way to run the built binaries.

pub mod archive;
pub mod cli;
#[cfg(target_os = "linux")]
pub mod durability;
pub mod fixtures;
pub mod goproxy;
pub mod sdk;
pub mod server;
pub mod sumdb_log;

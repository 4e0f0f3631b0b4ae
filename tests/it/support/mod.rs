//! Test support shared by the integration tests: synthetic SDKs, fixture
//! distributions, loopback servers and a hermetic way to run the built binaries.

pub mod cli;
pub mod fixtures;
pub mod goproxy;
pub mod sdk;
pub mod server;
pub mod sumdb_log;

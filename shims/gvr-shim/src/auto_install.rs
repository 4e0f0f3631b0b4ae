//! `GVR_AUTO_INSTALL=1`: when the selected version is missing, the shim runs
//! `gvr install <spec>` (output on stderr, so the tool's stdout stays clean), then goes on.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use gvr_core::process::Process;
use gvr_core::{GvrHome, VersionSpec};

use crate::Failure;

pub fn enabled(p: &dyn Process) -> bool {
    gvr_core::toolchain::launch::auto_install_enabled(
        p.var_os(gvr_core::toolchain::launch::AUTO_INSTALL_VAR)
            .as_deref(),
    )
}

/// The `gvr` to run: the one recorded by `gvr rehash`, else `gvr` on PATH.
fn gvr_binary(home: &GvrHome) -> PathBuf {
    std::fs::read_to_string(home.gvr_bin_file())
        .ok()
        .map(|s| PathBuf::from(s.trim_end_matches(['\r', '\n'])))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("gvr"))
}

/// Runs `gvr install <spec>`.
pub fn install(home: &GvrHome, spec: &VersionSpec) -> Result<(), Failure> {
    run_gvr(home, &["install".to_string(), spec.to_string()])
}

/// Runs `gvr <args>` (e.g. the `gopls install` that builds a missing pinned gopls).
pub fn run_gvr(home: &GvrHome, args: &[String]) -> Result<(), Failure> {
    let gvr = gvr_binary(home);
    let shown = format!("{} {}", gvr.display(), args.join(" "));
    let status = Command::new(&gvr)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| Failure::new(format!("GVR_AUTO_INSTALL: cannot run `{shown}`: {e}"), 1))?;
    if !status.success() {
        return Err(Failure::new(
            format!("GVR_AUTO_INSTALL: `{shown}` failed ({status}); fix the error above or run it yourself"),
            1,
        ));
    }
    Ok(())
}

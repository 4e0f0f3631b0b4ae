//! The recursion guard: each shim counts itself in `GVR_SHIM_DEPTH`, so a loop of shims
//! (a `go` on PATH that leads back to a shim) ends in an error, not a fork bomb.

use std::ffi::OsStr;

use super::ToolchainError;

/// The counter that turns a loop of shims into an error.
pub const SHIM_DEPTH_VAR: &str = "GVR_SHIM_DEPTH";
/// Legitimate nesting is shallow (the SDK's `bin` comes first on PATH, so `go` calling
/// `go` never goes through a shim); this many shims in a row is a loop.
pub const MAX_SHIM_DEPTH: u32 = 8;

/// `GVR_SHIM_DEPTH` + 1, or the recursion error once it reaches the limit. An
/// unreadable value counts as 0.
pub fn next_shim_depth(current: Option<&OsStr>) -> Result<u32, ToolchainError> {
    let depth = current
        .and_then(|v| v.to_str())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if depth >= MAX_SHIM_DEPTH {
        return Err(ToolchainError::Recursion { depth });
    }
    Ok(depth + 1)
}

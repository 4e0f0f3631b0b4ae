//! `gvr rehash`: (re)create the shims in `$GVR_HOME/shims`.

use std::process::ExitCode;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> anyhow::Result<ExitCode> {
    let report = gvr::shims::refresh(&ctx.home)?;
    let how = if report.copied {
        "copies of"
    } else {
        "links to"
    };
    ctx.out.status(format!(
        "wrote {} shims in {} ({how} {}): {}",
        report.written.len(),
        report.shims_dir.display(),
        report.shim_bin.display(),
        report.written.join(" ")
    ));
    if !report.removed.is_empty() {
        ctx.out.status(format!(
            "removed stale entries: {}",
            report.removed.join(" ")
        ));
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d == report.shims_dir));
    if !on_path {
        ctx.out.warn(format!(
            "{} is not on PATH; add it with the line from `gvr init`",
            report.shims_dir.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// After install/uninstall changed `versions/`: refresh the shims (the `go<version>`
/// entries follow the installed set). A failure here does not undo the install, so it
/// is a warning with the fix rather than an error.
pub fn refresh_after_change(ctx: &Ctx) {
    if let Err(e) = gvr::shims::refresh(&ctx.home) {
        ctx.out.warn(format!(
            "the shims in {} were not refreshed: {e}; run `gvr rehash`",
            ctx.home.shims_dir().display()
        ));
    }
    super::sdk::sync_if_enabled(ctx);
}

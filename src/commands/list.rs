//! `gvr list`: installed versions, newest first.

use std::process::ExitCode;

use gvr::dist::Receipt;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a JSON array of {"version", "path", "anchor", "toolchain_module"}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let versions = ctx.home.installed_versions()?;
    if args.json {
        let rows: Vec<serde_json::Value> = versions
            .iter()
            .map(|v| {
                let r = Receipt::read(&ctx.home.receipt_path(v));
                serde_json::json!({
                    "version": v.to_string(),
                    "path": ctx.home.version_dir(v),
                    "anchor": r.as_ref().and_then(|r| r.anchor.clone()),
                    "toolchain_module": r.as_ref().is_some_and(|r| r.toolchain_module),
                })
            })
            .collect();
        ctx.out.result(serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if versions.is_empty() {
        ctx.out
            .status("no Go versions installed; `gvr install latest` installs the newest release");
    }
    for v in &versions {
        // The toolchain module's cut of a release lacks parts of the go.dev archive.
        match Receipt::read(&ctx.home.receipt_path(v)) {
            Some(r) if r.toolchain_module => ctx.out.result(format!(
                "{v}  (toolchain module: no api/, doc/, misc/, test/)"
            )),
            _ => ctx.out.result(v.to_string()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `gvr list`: installed versions, newest first.

use std::process::ExitCode;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a JSON array of {"version", "path"}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let versions = ctx.home.installed_versions()?;
    if args.json {
        let rows: Vec<serde_json::Value> = versions
            .iter()
            .map(|v| serde_json::json!({ "version": v.to_string(), "path": ctx.home.version_dir(v) }))
            .collect();
        ctx.out.result(serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if versions.is_empty() {
        ctx.out
            .status("no Go versions installed; `gvr install latest` installs the newest release");
    }
    for v in &versions {
        ctx.out.result(v.to_string());
    }
    Ok(ExitCode::SUCCESS)
}

//! `gvr current`: the version selected here and why.

use std::process::ExitCode;

use gvr::select::{select, Here, Selected};
use gvr::toolchain::Toolchain;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON: version, origin kind, origin file, reason, GOROOT
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let here = Here::from_process()?;
    let selection = select(&ctx.home, &here)?;
    if args.json {
        let toolchain = Toolchain::new(&ctx.home, selection.clone());
        let system = match &selection.version {
            Selected::System(s) => Some(s.path.display().to_string()),
            Selected::Version(_) => None,
        };
        let doc = serde_json::json!({
            "version": selection.go_version().map(|v| v.to_string()),
            "system": system,
            "origin": selection.origin.kind(),
            "origin_path": selection.origin.path().map(|p| p.display().to_string()),
            "reason": selection.origin.to_string(),
            "goroot": toolchain.goroot.map(|p| p.display().to_string()),
        });
        ctx.out.result(serde_json::to_string_pretty(&doc)?);
    } else {
        ctx.out.result(selection.to_string());
    }
    Ok(ExitCode::SUCCESS)
}

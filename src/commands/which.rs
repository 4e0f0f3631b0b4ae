//! `gvr which TOOL`: the binary the shim named TOOL would run here.

use std::process::ExitCode;

use gvr::select::{select, Here};
use gvr::toolchain::{resolve_tool, Toolchain};

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// go, gofmt or gopls
    pub tool: String,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let here = Here::from_process()?;
    let toolchain = Toolchain::new(&ctx.home, select(&ctx.home, &here)?);
    let path = resolve_tool(here.process, &ctx.home, &toolchain, &args.tool, &here.cwd)?;
    ctx.out.result(path.display().to_string());
    Ok(ExitCode::SUCCESS)
}

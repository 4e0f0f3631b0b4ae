//! `gvr completions SHELL`: the completion script for SHELL on stdout.

use std::process::ExitCode;

use clap::CommandFactory;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to print the completion script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::Cli::command(), "gvr", &mut script);
    ctx.out.result(String::from_utf8(script)?.trim_end());
    Ok(ExitCode::SUCCESS)
}

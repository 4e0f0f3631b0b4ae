//! `gvr exec [--version SPEC] -- CMD [ARGS]`: run any command with the environment the
//! shims give Go tools here (same code path).

use std::ffi::OsString;
use std::process::ExitCode;

use gvr::select::{select_with, Here};
use gvr::toolchain::{EnvValue, Toolchain};
use gvr::workspace::Workspace;
use gvr::VersionSpec;

use super::Ctx;

#[derive(clap::Args, Debug)]
// `--version` here names the Go version to use, not gvr's own.
#[command(disable_version_flag = true)]
pub struct Args {
    /// Use this version instead of the one selected here (1.22.10, 1.22, latest, system)
    #[arg(long, value_name = "SPEC")]
    pub version: Option<VersionSpec>,
    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let here = Here::from_process()?;
    let selection = select_with(&ctx.home, &here, args.version.as_ref())?;
    let ws = Workspace::find(&ctx.home, &here, std::env::var_os("GVR_GOCACHE"));
    let toolchain = Toolchain::new(&ctx.home, selection);
    let vars = toolchain.env(&ws, |k| std::env::var_os(k))?;
    if vars
        .iter()
        .any(|v| v.name == "GOCACHE" && matches!(v.value, EnvValue::Set(_)))
    {
        ws.mark_used();
    }
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    // A bare name is looked up in the child's PATH, which starts with the SDK's bin.
    let mut cmd = Toolchain::command(program.as_ref(), rest, &vars);
    match gvr::exec::exec(&mut cmd) {
        Ok(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        Err(e) => {
            let code = e.exit_code();
            super::report_error(&anyhow::Error::new(e));
            Ok(ExitCode::from(code))
        }
    }
}

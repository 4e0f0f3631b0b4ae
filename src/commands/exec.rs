//! `gvr exec [--version SPEC] -- CMD [ARGS]`: run any command with the environment the
//! shims give Go tools here (same code path).

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::bail;
use gvr::select::Here;
use gvr::toolchain::launch::{prepare, AUTO_INSTALL_VAR};
use gvr::toolchain::Toolchain;
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
    // The shims' own steps; a missing version is installed in-process here.
    let launch = prepare(
        &ctx.home,
        &here,
        args.version.as_ref(),
        |spec| -> anyhow::Result<()> {
            let opts = gvr::dist::InstallOptions {
                force: false,
                allow_unverified: false,
                trust: None,
            };
            if !super::install::install_specs(ctx, std::slice::from_ref(spec), &opts)? {
                bail!("{AUTO_INSTALL_VAR}: Go {spec} could not be installed (see above)");
            }
            Ok(())
        },
    )?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    // A bare name is looked up in the child's PATH, which starts with the SDK's bin.
    let mut cmd = Toolchain::command(program.as_ref(), rest, &launch.vars);
    match gvr::exec::exec(&mut cmd) {
        Ok(code) => match u8::try_from(code) {
            Ok(code) => Ok(ExitCode::from(code)),
            // Windows exit codes are 32-bit (0xC000013A after Ctrl-C): pass them whole.
            Err(_) => std::process::exit(code),
        },
        Err(e) => {
            let code = e.exit_code();
            super::report_error(&anyhow::Error::new(e));
            Ok(ExitCode::from(code))
        }
    }
}

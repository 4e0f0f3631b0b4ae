//! `gvr uninstall SPEC...`: remove installed versions.

use std::process::ExitCode;

use gvr::dist::{self, UninstallError};
use gvr::VersionSpec;

use super::progress::Progress;
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Installed versions to remove: 1.22.6, go1.22.6, 1.22 (the newest installed 1.22.x)
    #[arg(value_name = "SPEC", required = true)]
    pub specs: Vec<VersionSpec>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let installed = ctx.home.installed_versions()?;
    let mut failed = false;
    let mut removed_any = false;
    for spec in &args.specs {
        // A prefix names one of the installed versions, never a remote one.
        let Some(version) = (match spec {
            // Under its installed name: `1.20.0` is `versions/1.20`.
            VersionSpec::Exact(v) => Some(ctx.home.find_installed(v)?.unwrap_or_else(|| v.clone())),
            other => other.pick(&installed).cloned(),
        }) else {
            failed = true;
            super::output::print_error(&anyhow::anyhow!(
                "no installed Go version matches `{spec}`; `gvr list` shows the installed versions"
            ));
            continue;
        };
        match dist::uninstall(&ctx.home, &version, &reporter) {
            Ok(path) => {
                removed_any = true;
                ctx.out.status(format!(
                    "uninstalled go{version} (removed {})",
                    path.display()
                ))
            }
            Err(e @ UninstallError::NotInstalled { .. }) => {
                failed = true;
                super::output::print_error(&anyhow::Error::new(e));
            }
            Err(e) => {
                failed = true;
                super::output::print_error(
                    &anyhow::Error::new(e).context(format!("cannot uninstall go{version}")),
                );
            }
        }
    }
    if removed_any {
        super::rehash::refresh_after_change(ctx);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

//! `gvr sdk link [VERSION...]` / `gvr sdk unlink [VERSION...]`: `~/sdk/go<version>`
//! links to gvr's installs, where vscode-go and golang.org/dl look for SDKs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use gvr::doctor::Probe;
use gvr::sdk_links::{self, Outcome};
use gvr::GoVersion;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Link installed versions into ~/sdk (all of them by default)
    Link {
        /// Installed versions to link, e.g. 1.22.6
        #[arg(value_name = "VERSION")]
        versions: Vec<GoVersion>,
    },
    /// Remove gvr's links from ~/sdk (all of them by default); other entries stay
    Unlink {
        #[arg(value_name = "VERSION")]
        versions: Vec<GoVersion>,
    },
}

fn sdk_dir(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    let probe = Probe::of_os(ctx.home.clone(), PathBuf::from("/"));
    let home = probe.user_home().ok_or(sdk_links::SdkLinkError::NoHome)?;
    Ok(sdk_links::sdk_dir(&home))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let sdk = sdk_dir(ctx)?;
    let outcomes = match args.command {
        Sub::Link { versions } => sdk_links::link(&ctx.home, &sdk, &versions),
        Sub::Unlink { versions } => sdk_links::unlink(&ctx.home, &sdk, &versions),
    }
    .with_context(|| format!("cannot update {}", sdk.display()))?;
    if outcomes.is_empty() {
        ctx.out
            .status(format!("nothing to do in {}", sdk.display()));
    }
    report(ctx, &outcomes);
    Ok(ExitCode::SUCCESS)
}

pub fn report(ctx: &Ctx, outcomes: &[Outcome]) {
    for o in outcomes {
        match o {
            Outcome::Linked(p) => ctx.out.status(format!("linked {}", p.display())),
            Outcome::AlreadyLinked(p) => {
                ctx.out.status(format!("{} is linked already", p.display()))
            }
            Outcome::Removed(p) => ctx.out.status(format!("removed {}", p.display())),
            Outcome::Skipped { path, why } => ctx
                .out
                .warn(format!("left {} alone: {why}", path.display())),
        }
    }
}

/// After install/uninstall: with `GVR_SDK_LINKS=1`, keep ~/sdk in step.
pub fn sync_if_enabled(ctx: &Ctx) {
    let on =
        std::env::var(sdk_links::SDK_LINKS_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true"));
    if !on {
        return;
    }
    let result = sdk_dir(ctx).and_then(|sdk| Ok(sdk_links::sync(&ctx.home, &sdk)?));
    match result {
        Ok(outcomes) => report(ctx, &outcomes),
        Err(e) => ctx.out.warn(format!(
            "~/sdk links were not updated: {e}; run `gvr sdk link`"
        )),
    }
}

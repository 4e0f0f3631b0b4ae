//! `gvr install SPEC...`: resolve each spec against the source's index, then download,
//! verify and install it.

use std::process::ExitCode;

use gvr::dist::{self, fetch::FetchConfig, InstallOptions, Source};
use gvr::VersionSpec;

use super::progress::Progress;
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Versions to install: 1.22.6, go1.22.6, 1.22 (newest stable 1.22.x), latest, 1.23rc1
    #[arg(value_name = "SPEC")]
    pub specs: Vec<VersionSpec>,
    /// Reinstall even if the version is already installed
    #[arg(long)]
    pub force: bool,
    /// Install an archive that has no sha256 in the index and no sidecar (recorded as unverified)
    #[arg(long)]
    pub allow_unverified: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    if args.specs.is_empty() {
        super::output::print_error(&anyhow::anyhow!(
            "no version given\n\nUsage: gvr install [--force] [--allow-unverified] SPEC...\n\
             e.g. `gvr install 1.22.6`, `gvr install latest`; see `gvr install --help`"
        ));
        return Ok(ExitCode::from(2));
    }
    let source = Source::new(
        ctx.global.mirror.as_deref(),
        FetchConfig::from_env(ctx.global.offline),
    )?;
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let opts = InstallOptions {
        force: args.force,
        allow_unverified: args.allow_unverified,
    };
    let mut failed = false;
    for spec in &args.specs {
        let result = match source.resolve(&ctx.home, spec, &reporter) {
            Ok(v) => dist::install(&ctx.home, &source, &v, &opts, &reporter),
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(out) if out.already_installed => {
                ctx.out.status(format!(
                    "go{} is already installed at {} (use --force to reinstall)",
                    out.version,
                    out.path.display()
                ));
            }
            Ok(out) => {
                if let (Some(url), Some(sha)) = (&out.url, &out.sha256) {
                    ctx.out.verbose(format!("archive {url}\nsha256 {sha}"));
                }
                let how = out
                    .checksum
                    .as_ref()
                    .map(|c| c.describe())
                    .unwrap_or_default();
                let cached = if out.from_download_cache {
                    ", from the download cache"
                } else {
                    ""
                };
                ctx.out.status(format!(
                    "installed go{} to {} ({how}{cached})",
                    out.version,
                    out.path.display()
                ));
            }
            Err(e) => {
                failed = true;
                super::output::print_error(
                    &anyhow::Error::new(e).context(format!("cannot install {spec}")),
                );
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

//! `gvr install SPEC...`: resolve each spec against the source's index, then download,
//! verify and install it.

use std::process::ExitCode;

use gvr::dist::{self, fetch::FetchConfig, InstallOptions, Source};
use gvr::select::{select, Here, Selected};
use gvr::VersionSpec;

use super::progress::Progress;
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Versions to install: 1.22.6, go1.22.6, 1.22 (newest stable 1.22.x), latest, 1.23rc1.
    /// Without one, installs the version selected for the current directory
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
    let opts = InstallOptions {
        force: args.force,
        allow_unverified: args.allow_unverified,
    };
    let specs = if args.specs.is_empty() {
        match selected_here(ctx)? {
            Some(spec) => vec![spec],
            None => return Ok(ExitCode::SUCCESS),
        }
    } else {
        args.specs
    };
    Ok(if install_specs(ctx, &specs, &opts)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// With no SPEC, `gvr install` installs what is selected for the current directory
/// (the CI habit: the repository's pin decides). `None` when there is nothing to do.
fn selected_here(ctx: &Ctx) -> anyhow::Result<Option<VersionSpec>> {
    let here = Here::from_process()?;
    match select(&ctx.home, &here) {
        Ok(selection) => {
            match &selection.version {
                Selected::Version(v) => ctx.out.status(format!(
                    "go{v} ({}) is already installed at {}",
                    selection.origin,
                    ctx.home.version_dir(v).display()
                )),
                Selected::System(system) => ctx.out.status(format!(
                    "the Go selected here is the system go at {} ({}); nothing to install",
                    system.path.display(),
                    selection.origin
                )),
            }
            Ok(None)
        }
        Err(e) => match e.missing_spec() {
            Some(spec) => Ok(Some(spec.clone())),
            None => Err(anyhow::Error::new(e).context(
                "no version given and none selected here; name one, e.g. `gvr install 1.22.6`",
            )),
        },
    }
}

/// Installs each spec from the configured source and refreshes the shims when anything
/// new landed. Failures are printed as they happen; returns whether all succeeded.
pub fn install_specs(
    ctx: &Ctx,
    specs: &[VersionSpec],
    opts: &InstallOptions,
) -> anyhow::Result<bool> {
    let source = Source::new(
        ctx.global.mirror.as_deref(),
        FetchConfig::from_env(ctx.global.offline),
    )?;
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let mut failed = false;
    let mut installed_any = false;
    for spec in specs {
        let result = match source.resolve(&ctx.home, spec, &reporter) {
            Ok(v) => {
                if let VersionSpec::Exact(typed) = spec {
                    if typed.as_str() != v.as_str() {
                        ctx.out
                            .status(format!("go{typed} was released as go{v}; installing go{v}"));
                    }
                }
                dist::install(&ctx.home, &source, &v, opts, &reporter)
            }
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
                installed_any = true;
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
    if installed_any {
        super::rehash::refresh_after_change(ctx);
    }
    Ok(!failed)
}

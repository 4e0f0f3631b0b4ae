//! `gvr list-remote [PREFIX]`: the versions the source's release index offers (from a
//! GOPROXY: its `golang.org/toolchain/@v/list` for this platform).

use std::process::ExitCode;

use gvr::dist::fetch::FetchConfig;
use gvr::dist::trust::Trust;
use gvr::{GoVersion, VersionSpec};

use super::install::Origin;

use super::progress::Progress;
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only versions matching this prefix or version (1.22, 1.22.6, 1)
    #[arg(value_name = "PREFIX")]
    pub prefix: Option<VersionSpec>,
    /// Include betas and release candidates
    #[arg(long)]
    pub all: bool,
    /// Print a JSON array of {"version", "stable"}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let trust = Trust::from_env(FetchConfig::from_env(ctx.global.offline))?;
    let http = trust.http();
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let source = match super::install::choose_origin(ctx, &trust, &http)? {
        Origin::Archives(source) => source,
        Origin::Proxy(proxy) => {
            let (versions, from) = proxy.versions(&reporter)?;
            ctx.out
                .verbose(format!("list {from}/golang.org/toolchain/@v/list"));
            let mut versions: Vec<_> = versions.iter().rev().collect();
            versions.retain(|v| args.all || v.is_stable());
            versions.retain(|v| match &args.prefix {
                None | Some(VersionSpec::Latest) => true,
                Some(spec) => spec.matches(v),
            });
            return print(ctx, &args, versions);
        }
    };
    let Some(loaded) = source.index(&ctx.home, &reporter)? else {
        anyhow::bail!(
            "{} has no release index (tried {}); listing needs one. \
             Exact versions still install from sidecars: `gvr install 1.22.6`",
            source.name(),
            source.index_tried()
        );
    };
    ctx.out.verbose(format!("index {}", loaded.url));
    let versions: Vec<_> = loaded
        .index
        .versions()
        .filter(|v| args.all || v.is_stable())
        .filter(|v| match &args.prefix {
            None | Some(VersionSpec::Latest) => true,
            Some(spec) => spec.matches(v),
        })
        .collect();
    print(ctx, &args, versions)
}

fn print(ctx: &Ctx, args: &Args, versions: Vec<&GoVersion>) -> anyhow::Result<ExitCode> {
    if args.json {
        let rows: Vec<serde_json::Value> = versions
            .iter()
            .map(|v| serde_json::json!({ "version": v.to_string(), "stable": v.is_stable() }))
            .collect();
        ctx.out.result(serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    for v in versions {
        ctx.out.result(v.to_string());
    }
    Ok(ExitCode::SUCCESS)
}

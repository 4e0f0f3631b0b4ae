//! `gvr install SPEC...`: resolve each spec against the source's index, then download,
//! verify and install it.

use std::process::ExitCode;

use std::sync::Arc;

use gvr::dist::goproxy::GoProxy;
use gvr::dist::install_module::install_from_proxy;
use gvr::dist::trust::{Anchor, Trust};
use gvr::dist::{self, fetch::FetchConfig, InstallOptions, Source};
use gvr::select::{select, Here, Selected};
use gvr::VersionSpec;

use super::progress::Progress;
use super::{Ctx, SourceKind};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Versions to install: 1.22.6, go1.22.6, 1.22 (newest stable 1.22.x), latest, 1.23rc1.
    /// Without one, installs the version selected for the current directory
    #[arg(value_name = "SPEC")]
    pub specs: Vec<VersionSpec>,
    /// Reinstall even if the version is already installed
    #[arg(long)]
    pub force: bool,
    /// Install what nothing vouches for: an archive with no sha256 in the index and no
    /// sidecar, or a GOPROXY module with the checksum database off (GOSUMDB=off,
    /// GONOSUMDB) or unreachable (recorded as unverified)
    #[arg(long)]
    pub allow_unverified: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let opts = InstallOptions {
        force: args.force,
        allow_unverified: args.allow_unverified,
        trust: None,
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

/// Where this command installs from.
pub enum Origin<'h> {
    Archives(Source),
    Proxy(GoProxy<'h>),
}

/// Picks the source: `--source`, else the mirror when given, else go.dev — or the
/// GOPROXY when go.dev's name does not resolve (no network round of retries first).
pub fn choose_origin<'h>(
    ctx: &Ctx,
    trust: &Trust,
    http: &'h dyn gvr::dist::goproxy::Http,
) -> anyhow::Result<Origin<'h>> {
    let fetch = FetchConfig::from_env(ctx.global.offline);
    let mirror = ctx.global.mirror.as_deref();
    let proxy = || -> anyhow::Result<Origin<'h>> {
        Ok(Origin::Proxy(GoProxy::from_env(
            &trust.env,
            &gvr_core::process::OsProcess,
            http,
        )?))
    };
    match ctx.global.source {
        SourceKind::Goproxy => proxy(),
        SourceKind::GoDev => Ok(Origin::Archives(Source::new(None, fetch)?)),
        SourceKind::Mirror if mirror.is_none() => {
            anyhow::bail!("--source mirror needs --mirror URL|PATH (or GVR_MIRROR)")
        }
        SourceKind::Mirror => Ok(Origin::Archives(Source::new(mirror, fetch)?)),
        SourceKind::Auto if mirror.is_some() => Ok(Origin::Archives(Source::new(mirror, fetch)?)),
        SourceKind::Auto => {
            if !ctx.global.offline && !go_dev_resolves() {
                let p = GoProxy::from_env(&trust.env, &gvr_core::process::OsProcess, http)?;
                ctx.out.status(format!(
                    "go.dev cannot be resolved; using the GOPROXY ({})",
                    p.setting()
                ));
                return Ok(Origin::Proxy(p));
            }
            Ok(Origin::Archives(Source::new(None, fetch)?))
        }
    }
}

fn kit_proxy_of<'a, 'h>(o: &'a Origin<'h>) -> &'a GoProxy<'h> {
    match o {
        Origin::Proxy(p) => p,
        Origin::Archives(_) => unreachable!("the kit origin is its GOPROXY layout"),
    }
}

/// Whether go.dev's name resolves: a DNS failure means go.dev is unreachable from here
/// (a network that blocks it, or none), so there is no point in retrying it.
pub fn go_dev_resolves() -> bool {
    use std::net::ToSocketAddrs;
    ("go.dev", 443)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.next().is_some())
}

/// Installs each spec from the configured source and refreshes the shims when anything
/// new landed. Failures are printed as they happen; returns whether all succeeded.
pub fn install_specs(
    ctx: &Ctx,
    specs: &[VersionSpec],
    opts: &InstallOptions,
) -> anyhow::Result<bool> {
    let mut trust = Trust::from_env(FetchConfig::from_env(ctx.global.offline))?;
    // A kit as the mirror: its own checksum-database material anchors every install,
    // and nothing else is contacted.
    let kit = match (ctx.global.mirror.as_deref(), ctx.global.source) {
        (Some(m), SourceKind::Auto | SourceKind::Mirror) if !m.trim().is_empty() => {
            gvr::mirror::kit::material(m.trim(), &trust.http())
                .map_err(|why| anyhow::anyhow!("cannot read the mirror {m}: {why}"))?
        }
        _ => None,
    };
    trust.kit = kit;
    let trust = Arc::new(trust);
    let opts = &InstallOptions {
        trust: Some(trust.clone()),
        ..opts.clone()
    };
    let http = trust.http();
    let origin = choose_origin(ctx, &trust, &http)?;
    // Releases the kit holds only as toolchain modules install from its GOPROXY layout.
    let kit_origin = match &trust.kit {
        Some(k) => Some(Origin::Proxy(GoProxy::new(
            &gvr::mirror::kit::proxy_url(&k.location),
            &http,
        )?)),
        None => None,
    };
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let mut failed = false;
    let mut installed_any = false;
    for spec in specs {
        let mut origin = &origin;
        let resolved: anyhow::Result<_> = match origin {
            Origin::Archives(source) => {
                match (source.resolve(&ctx.home, spec, &reporter), &kit_origin) {
                    (Err(_), Some(k)) => {
                        origin = k;
                        kit_proxy_of(k).resolve(spec, &reporter).map_err(Into::into)
                    }
                    (r, _) => r.map_err(Into::into),
                }
            }
            Origin::Proxy(proxy) => proxy.resolve(spec, &reporter).map_err(Into::into),
        };
        let result: anyhow::Result<_> = match resolved {
            Ok(v) => {
                if let VersionSpec::Exact(typed) = spec {
                    if typed.as_str() != v.as_str() {
                        ctx.out
                            .status(format!("go{typed} was released as go{v}; installing go{v}"));
                    }
                }
                match (origin, &kit_origin) {
                    (Origin::Archives(source), kit) => {
                        match (dist::install(&ctx.home, source, &v, opts, &reporter), kit) {
                            // Not in the kit's index (or not for this platform): its toolchain module.
                            (
                                Err(dist::InstallError::Source(
                                    dist::SourceError::NoArchive { .. }
                                    | dist::SourceError::UnknownVersion { .. },
                                )),
                                Some(k),
                            ) => {
                                install_from_proxy(&ctx.home, kit_proxy_of(k), &v, opts, &reporter)
                            }
                            (r, _) => r,
                        }
                    }
                    (Origin::Proxy(proxy), _) => {
                        install_from_proxy(&ctx.home, proxy, &v, opts, &reporter)
                    }
                }
                .map_err(Into::into)
            }
            Err(e) => Err(e),
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
                for w in &out.warnings {
                    ctx.out.warn(w);
                }
                if let Some(source) = &out.source {
                    ctx.out.verbose(format!("source {source}"));
                }
                if let (Some(url), Some(sha)) = (&out.url, &out.sha256) {
                    ctx.out.verbose(format!("archive {url}\nsha256 {sha}"));
                }
                if let Some(anchor) = &out.anchor {
                    ctx.out.verbose(format!("anchor {}", anchor.kind()));
                }
                let mut how: Vec<String> = Vec::new();
                if let Some(c) = &out.checksum {
                    how.push(c.describe());
                }
                if let Some(a) = out
                    .anchor
                    .as_ref()
                    .filter(|a| matches!(a, Anchor::Sumdb { .. }) || out.checksum.is_none())
                {
                    how.push(a.describe());
                }
                if out.toolchain_module {
                    how.push("the toolchain module: no api/, doc/, misc/, test/".into());
                }
                if out.from_download_cache {
                    how.push("from the download cache".into());
                }
                ctx.out.status(format!(
                    "installed go{} to {} ({})",
                    out.version,
                    out.path.display(),
                    how.join("; ")
                ));
            }
            Err(e) => {
                failed = true;
                super::output::print_error(&e.context(format!("cannot install {spec}")));
            }
        }
    }
    if installed_any {
        super::rehash::refresh_after_change(ctx);
    }
    Ok(!failed)
}

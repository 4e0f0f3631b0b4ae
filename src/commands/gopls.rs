//! `gvr gopls install|pin|current|list|uninstall`: gopls pinned per Go version.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use gvr::gopls::{self, GoplsVersion, InstallOptions, InstalledFrom, Pin};
use gvr::process::OsProcess;
use gvr::report::Reporter;
use gvr::select::{select, Here, Selected};
use gvr::{GoVersion, GvrHome, VersionSpec};

use super::{Ctx, Printer};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Build the pinned gopls (or VERSION) with the selected Go SDK, or fetch a verified
    /// prebuilt one from the mirror
    Install {
        /// The gopls release, e.g. v0.20.0 (default: the one pinned here)
        #[arg(id = "gopls_version", value_name = "VERSION")]
        version: Option<GoplsVersion>,
        /// Build with this installed Go SDK instead of the selected one
        #[arg(long, value_name = "GO_VERSION")]
        with_go: Option<VersionSpec>,
        /// Build from source even when the mirror has a prebuilt binary
        #[arg(long)]
        from_source: bool,
        /// Reinstall even if this build is already installed
        #[arg(long)]
        force: bool,
    },
    /// Pin a gopls release for this directory (writes .gopls-version)
    Pin {
        /// The gopls release (default: the table's choice for the selected Go)
        #[arg(id = "gopls_version", value_name = "VERSION", conflicts_with = "unset")]
        version: Option<GoplsVersion>,
        /// Remove the .gopls-version file in this directory
        #[arg(long)]
        unset: bool,
    },
    /// Show the gopls that applies here, why, and the Go that builds it
    Current,
    /// List installed gopls builds
    List,
    /// Remove every build of a gopls release
    Uninstall {
        /// The gopls release, e.g. v0.20.0
        #[arg(id = "gopls_version", value_name = "VERSION")]
        version: GoplsVersion,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    match args.command {
        Sub::Install {
            version,
            with_go,
            from_source,
            force,
        } => install(ctx, &cwd, version, with_go, from_source, force),
        Sub::Pin { version, unset } => pin(ctx, &cwd, version, unset),
        Sub::Current => current(ctx, &cwd),
        Sub::List => list(ctx),
        Sub::Uninstall { version } => uninstall(ctx, &version),
    }
}

fn install(
    ctx: &Ctx,
    cwd: &Path,
    version: Option<GoplsVersion>,
    with_go: Option<VersionSpec>,
    from_source: bool,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let builder = match &with_go {
        Some(spec) => installed_go(&ctx.home, spec, "--with-go")?,
        None => selected_go(&ctx.home)?.0,
    };
    let gopls = match version {
        Some(v) => v,
        None => {
            // The pin follows the selected Go when there is one, so the shim finds it.
            let go = match selected_go(&ctx.home) {
                Ok((go, _)) => go,
                Err(_) => builder.clone(),
            };
            let pin = gopls::resolve_pin(&OsProcess, cwd, &go)?;
            ctx.out
                .status(format!("gopls {} (from {})", pin.version, pin.origin));
            pin.version
        }
    };
    let goroot = ctx.home.version_dir(&builder);
    let kit_env = kit_build_env(ctx)?;
    let opts = InstallOptions {
        gopls: &gopls,
        go: &builder,
        goroot: &goroot,
        mirror: ctx.global.mirror.as_deref().filter(|m| !m.is_empty()),
        from_source,
        force,
        offline: ctx.global.offline,
        extra_env: &kit_env,
    };
    let done = gopls::install(&ctx.home, &opts, &StatusReporter(&ctx.out))?;
    match &done.from {
        InstalledFrom::AlreadyInstalled => ctx.out.status(format!(
            "gopls {gopls} built by go{builder} is already installed (--force rebuilds it)"
        )),
        InstalledFrom::Built { proxy, sumdb } => {
            ctx.out
                .status(format!("built gopls {gopls} with go{builder}"));
            ctx.out.verbose(format!(
                "modules from GOPROXY={proxy}, checked against GOSUMDB={sumdb}"
            ));
        }
        InstalledFrom::Mirror { url, sidecar } => {
            ctx.out.status(format!(
                "installed prebuilt gopls {gopls} for go{builder} from {url}"
            ));
            ctx.out
                .verbose(format!("sha256 verified against {sidecar}"));
        }
    }
    if let Some(sum) = &done.sha256 {
        ctx.out.verbose(format!("sha256 {sum}"));
    }
    ctx.out.result(done.path.display().to_string());
    Ok(ExitCode::SUCCESS)
}

/// With a kit as the mirror, the build reads its modules and checksum-database
/// material from the kit alone (see `gvr::mirror::gopls`).
fn kit_build_env(ctx: &Ctx) -> anyhow::Result<Vec<(std::ffi::OsString, std::ffi::OsString)>> {
    use gvr::dist::fetch::FetchConfig;
    use gvr::dist::sumdb::Setting;
    use gvr::dist::trust::Trust;
    let Some(mirror) = ctx
        .global
        .mirror
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    else {
        return Ok(Vec::new());
    };
    let trust = Trust::from_env(FetchConfig::from_env(ctx.global.offline))?;
    let http = trust.http();
    let Some(kit) = gvr::mirror::kit::material(mirror, &http)
        .map_err(|why| anyhow::anyhow!("cannot read the mirror {mirror}: {why}"))?
    else {
        return Ok(Vec::new());
    };
    let Setting::Use(db) = &trust.setting else {
        // GOSUMDB=off: Go reads the modules from the kit unverified, as it was told.
        return Ok(vec![(
            "GOPROXY".into(),
            gvr::mirror::kit::proxy_url(&kit.location).into(),
        )]);
    };
    let remote = gvr::mirror::remote::KitRemote::new(
        kit.location.clone(),
        &db.name,
        &http,
        kit.files.clone(),
    );
    let latest = gvr::dist::sumdb::Remote::get(&remote, "latest").map_err(|e| {
        anyhow::anyhow!(
            "the kit {mirror} has no checksum-database tree head for {}: {e}",
            db.name
        )
    })?;
    Ok(gvr::mirror::gopls::build_env_for_kit(
        &ctx.home,
        &kit.location,
        db,
        &latest,
    )?)
}

fn pin(
    ctx: &Ctx,
    cwd: &Path,
    version: Option<GoplsVersion>,
    unset: bool,
) -> anyhow::Result<ExitCode> {
    if unset {
        let path = cwd.join(gopls::PIN_FILE);
        if !path.is_file() {
            bail!(
                "there is no {} in {}; nothing to unset",
                gopls::PIN_FILE,
                cwd.display()
            );
        }
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        ctx.out.status(format!("removed {}", path.display()));
        return Ok(ExitCode::SUCCESS);
    }
    let version = match version {
        Some(v) => v,
        None => {
            let (go, origin) = selected_go(&ctx.home)?;
            gopls::table::recommended(&go)
                .cloned()
                .ok_or(gopls::LookupError::NoTableEntry { go: go.clone() })
                .with_context(|| format!("go{go} is selected by {origin}"))?
        }
    };
    if gopls::table::min_go(&version).is_none() {
        ctx.out.warn(format!(
            "gvr's compatibility table does not know gopls {version}; `gvr gopls install` will ask your GOPROXY for it"
        ));
    }
    let (path, previous) = gopls::write_pin_file(cwd, &version)?;
    match previous {
        Some(p) if p != version => ctx
            .out
            .status(format!("updated {} from {p} to {version}", path.display())),
        Some(_) => ctx
            .out
            .status(format!("{} already pins {version}", path.display())),
        None => ctx
            .out
            .status(format!("pinned gopls {version} in {}", path.display())),
    }
    Ok(ExitCode::SUCCESS)
}

fn current(ctx: &Ctx, cwd: &Path) -> anyhow::Result<ExitCode> {
    let (go, go_origin) = selected_go(&ctx.home)?;
    let pin: Pin = gopls::resolve_pin(&OsProcess, cwd, &go)?;
    ctx.out
        .result(format!("gopls {} (set by {})", pin.version, pin.origin));
    ctx.out.result(format!("go {go} ({go_origin})"));
    match gopls::find_build(&OsProcess, &ctx.home, &pin.version, &go) {
        Some(path) => {
            let built_by = path
                .parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            ctx.out.result(format!(
                "built by {}: {}",
                built_by.unwrap_or_default(),
                path.display()
            ));
        }
        None => {
            ctx.out.result(format!(
                "not built; run `{}`",
                gopls::install_command(&pin.version, &go)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let builds = gopls::installed(&ctx.home)?;
    if builds.is_empty() {
        ctx.out
            .status("no gopls builds installed; `gvr gopls install` builds the one pinned here");
    }
    for b in builds {
        ctx.out
            .result(format!("{}\tgo{}\t{}", b.version, b.go, b.path.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn uninstall(ctx: &Ctx, version: &GoplsVersion) -> anyhow::Result<ExitCode> {
    let waiting = |go: &GoVersion| {
        ctx.out.status(format!(
            "waiting for another gvr installing gopls {version} for go{go}"
        ))
    };
    for b in gopls::uninstall(&ctx.home, version, &waiting)? {
        ctx.out
            .status(format!("removed gopls {} built by go{}", b.version, b.go));
    }
    Ok(ExitCode::SUCCESS)
}

/// Progress for gopls installs as plain status lines (a build is one long step).
struct StatusReporter<'a>(&'a Printer);

impl Reporter for StatusReporter<'_> {
    fn start(&self, step: &str, _total: Option<u64>) {
        self.0.status(format!("{step}…"));
    }
    fn note(&self, message: &str) {
        self.0.status(message);
    }
}

/// An installed SDK matching `spec`.
fn installed_go(home: &GvrHome, spec: &VersionSpec, asked_by: &str) -> anyhow::Result<GoVersion> {
    if *spec == VersionSpec::System {
        bail!("{asked_by} system: gopls is built with a gvr-installed SDK; name one (`gvr list` shows them)");
    }
    let installed = home
        .installed_versions()
        .context("cannot list installed Go versions")?;
    match spec.pick(&installed) {
        Some(v) => Ok(v.clone()),
        None => bail!("go {spec} ({asked_by}) is not installed; run `gvr install {spec}`"),
    }
}

/// The Go selected here (by the rules the shims use) and its origin.
/// gopls needs a gvr-installed SDK, so `system` is an error that says what to do.
fn selected_go(home: &GvrHome) -> anyhow::Result<(GoVersion, String)> {
    let here = Here::from_process()?;
    let selection = select(home, &here)?;
    match selection.version {
        Selected::Version(v) => Ok((v, selection.origin.to_string())),
        Selected::System(system) => bail!(
            "the Go selected here is the system go at {} ({}); gopls is built with a gvr-installed SDK: pin one with `gvr local <version>` or pass --with-go",
            system.path.display(),
            selection.origin
        ),
    }
}

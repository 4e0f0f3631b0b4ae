//! `gvr mirror sync|verify|serve`: air-gapped kits.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use gvr::dist::fetch::FetchConfig;
use gvr::dist::goproxy::GoProxy;
use gvr::dist::index::Platform;
use gvr::dist::sumdb::{Database, Setting};
use gvr::dist::trust::Trust;
use gvr::fsutil::Staging;
use gvr::mirror::sync::{self, SyncOptions};
use gvr::mirror::{gopls as kit_gopls, seal, serve, verify, Kit};
use gvr::{GoVersion, VersionSpec};
use gvr_core::pin_file;

use super::progress::Progress;
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Build or update a kit for machines with no network: go.dev-layout archives with
    /// index.json and sidecars, the toolchain modules as a file:// GOPROXY, the checksum
    /// database's proofs for all of it, and with --gopls the modules gopls builds from.
    /// Archives come from go.dev or --mirror, modules and proofs from the GOPROXY
    Sync {
        /// The kit directory (created if missing; what it already holds is kept)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Releases: 1.22.6, 1.22 (newest 1.22.x), latest
        #[arg(value_name = "SPEC")]
        specs: Vec<VersionSpec>,
        /// Platforms as os/arch, comma-separated (default: this machine's)
        #[arg(long, value_delimiter = ',', value_name = "OS/ARCH,...")]
        platforms: Vec<String>,
        /// Also every Go version pinned under this directory tree (.go-version,
        /// .tool-versions, go.mod and go.work toolchain lines)
        #[arg(long, value_name = "PATH")]
        from_pins: Option<PathBuf>,
        /// Also the modules needed to build the gopls gvr pins for each release
        #[arg(long)]
        gopls: bool,
        /// Parallel downloads
        #[arg(long, default_value_t = 4, value_name = "N")]
        jobs: usize,
    },
    /// Re-hash a kit against its manifest and the checksum database's signed material;
    /// lists every missing or changed file and exits 1 if there is any
    Verify {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Serve a kit read-only over HTTP (GET and HEAD, byte ranges) until interrupted
    Serve {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Address to listen on (port 0 picks a free one)
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        addr: String,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::Sync {
            dir,
            specs,
            platforms,
            from_pins,
            gopls,
            jobs,
        } => sync_cmd(
            ctx,
            &dir,
            specs,
            &platforms,
            from_pins.as_deref(),
            gopls,
            jobs,
        ),
        Sub::Verify { dir } => verify_cmd(ctx, &dir),
        Sub::Serve { dir, addr } => serve_cmd(ctx, &dir, &addr),
    }
}

/// The database a kit is built for: GOSUMDB as Go reads it, which must be on.
fn database(trust: &Trust) -> anyhow::Result<Database> {
    if let Some(why) = trust.skipped() {
        return Err(gvr::mirror::MirrorError::SumdbOff {
            why: why.to_string(),
        }
        .into());
    }
    match &trust.setting {
        Setting::Use(db) => Ok(db.clone()),
        Setting::Off => unreachable!("skipped() covers off"),
    }
}

fn parse_platforms(list: &[String]) -> anyhow::Result<Vec<Platform>> {
    if list.is_empty() {
        return Ok(vec![Platform::current()]);
    }
    list.iter()
        .map(|p| {
            let (os, arch) = p
                .trim()
                .split_once('/')
                .filter(|(o, a)| !o.is_empty() && !a.is_empty())
                .with_context(|| format!("--platforms: `{p}` is not os/arch (e.g. linux/amd64)"))?;
            Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn sync_cmd(
    ctx: &Ctx,
    dir: &Path,
    mut specs: Vec<VersionSpec>,
    platforms: &[String],
    from_pins: Option<&Path>,
    with_gopls: bool,
    jobs: usize,
) -> anyhow::Result<ExitCode> {
    if ctx.global.offline {
        bail!("gvr mirror sync downloads; it cannot run with --offline / GVR_OFFLINE");
    }
    if let Some(root) = from_pins {
        let pinned = pins_under(root)?;
        if pinned.is_empty() && specs.is_empty() {
            bail!("no Go version is pinned under {}", root.display());
        }
        specs.extend(pinned);
    }
    if specs.is_empty() {
        bail!("name the releases to put in the kit (e.g. `gvr mirror sync {} 1.22.6`) or use --from-pins", dir.display());
    }
    let platforms = parse_platforms(platforms)?;
    let fetch = FetchConfig::from_env(false);
    let trust = Trust::from_env(fetch.clone())?;
    let db = database(&trust)?;
    let http = trust.http();
    let proxy = GoProxy::from_env(&trust.env, &gvr_core::process::OsProcess, &http)?;
    let kit = Kit::new(absolute(dir)?);
    // A mirror that is this very kit is no source for it.
    let archives_from = ctx
        .global
        .mirror
        .clone()
        .filter(|m| !m.trim().is_empty())
        .filter(|m| absolute(Path::new(m)).ok().as_deref() != Some(kit.root()));
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let archives = archives_from.is_some() || super::install::go_dev_resolves();
    if !archives {
        ctx.out.warn(
            "go.dev cannot be resolved: the kit gets the toolchain modules only (give --mirror for go.dev-layout archives)",
        );
    }
    let _lock = sync::lock(&kit, &reporter)?;
    let opts = SyncOptions {
        specs,
        platforms: platforms.clone(),
        archives_from,
        archives,
        jobs,
    };
    let report = sync::sync_releases(&ctx.home, &kit, &db, &proxy, &fetch, &opts, &reporter)?;
    for n in &report.notes {
        ctx.out.warn(n);
    }
    for f in &report.downloaded {
        ctx.out.verbose(format!("added {f}"));
    }

    let mut gopls_done = Vec::new();
    if with_gopls {
        let host = Platform::current();
        let mut seen = Vec::new();
        for v in &report.releases {
            let Some(gopls) = gvr::gopls::table::recommended(v) else {
                ctx.out.warn(format!(
                    "no gopls is known to build with go{v}; none added for it"
                ));
                continue;
            };
            if seen.contains(gopls) {
                continue;
            }
            seen.push(gopls.clone());
            if let Some(n) = kit_gopls::collected(&kit, gopls) {
                gopls_done.push(format!("gopls {gopls} ({n} module files)"));
                continue;
            }
            let scratch = Staging::new(&ctx.home.tmp_dir(), "kitgopls").with_context(|| {
                format!(
                    "cannot create scratch space in {}",
                    ctx.home.tmp_dir().display()
                )
            })?;
            let goroot = sdk_for(ctx, &kit, v, &host, &scratch)?;
            let n = kit_gopls::collect(
                &ctx.home,
                &kit,
                &db,
                &proxy,
                &goroot,
                v,
                gopls,
                &scratch.entry("work"),
                &reporter,
            )?;
            gopls_done.push(format!("gopls {gopls} ({n} module files)"));
        }
    }

    let upstream = proxy.sumdb_remote(&db, &reporter);
    seal::seal(&kit, &db, &upstream, &reporter)?;
    let manifest = seal::write_manifest(&kit, &db.name, &reporter)?;
    // A last look, offline, exactly as an install will see the kit.
    let checked = verify::verify(&kit, &db, &reporter);
    if !checked.problems.is_empty() {
        for p in &checked.problems {
            ctx.out.warn(p.to_string());
        }
        bail!(
            "the kit at {} does not verify after the sync (see above)",
            kit.root().display()
        );
    }
    let mut what: Vec<String> = report.releases.iter().map(|v| format!("go{v}")).collect();
    what.extend(gopls_done);
    ctx.out.status(format!(
        "kit {} holds {} ({} files; {} added, {} already there) for {}",
        kit.root().display(),
        what.join(", "),
        manifest.files.len(),
        report.downloaded.len(),
        report.kept,
        platforms
            .iter()
            .map(|p| format!("{}/{}", p.os, p.arch))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(ExitCode::SUCCESS)
}

/// A GOROOT of go`v` for this machine to run `go install` with: the installed SDK, else
/// the kit's own toolchain module unpacked into scratch space.
fn sdk_for(
    ctx: &Ctx,
    kit: &Kit,
    v: &GoVersion,
    host: &Platform,
    scratch: &Staging,
) -> anyhow::Result<PathBuf> {
    let installed = ctx.home.version_dir(v);
    if installed.join("bin").is_dir() {
        return Ok(installed);
    }
    let mv = gvr::dist::distpack::module_version(v, host);
    let zip = kit.path(&sync::module_rel(&mv, "zip"));
    if !zip.is_file() {
        bail!(
            "--gopls needs go{v} for this machine ({host}) to collect gopls's modules: add {}/{} to --platforms, or `gvr install {v}` first",
            host.os,
            host.arch
        );
    }
    let dest = scratch.entry("sdk");
    std::fs::create_dir_all(&dest).with_context(|| format!("cannot create {}", dest.display()))?;
    gvr::dist::goproxy::modzip::unpack(&zip, &format!("golang.org/toolchain@{mv}/"), &dest)
        .with_context(|| format!("cannot unpack {}", zip.display()))?;
    Ok(dest)
}

/// Every Go version pinned under `root`: `.go-version`, `.tool-versions`, and the
/// `toolchain` (else a full `go`) line of go.mod / go.work files. Hidden directories,
/// vendor/ and node_modules/ are skipped.
fn pins_under(root: &Path) -> anyhow::Result<Vec<VersionSpec>> {
    let mut out: Vec<VersionSpec> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') && name != "vendor" && name != "node_modules" {
                    stack.push(path);
                }
                continue;
            }
            let Ok(text) = pin_file::read_small(&path) else {
                continue;
            };
            let found = match name.as_str() {
                pin_file::GO_VERSION_FILE => pin_file::parse_go_version(&text),
                pin_file::TOOL_VERSIONS_FILE => pin_file::parse_tool_versions(&text),
                pin_file::GO_MOD_FILE | pin_file::GO_WORK_FILE => {
                    let d = pin_file::parse_go_directives(&text);
                    d.toolchain
                        .or(d.go.filter(|g| g.as_str().matches('.').count() == 2))
                        .map(|v| v.to_string())
                }
                _ => None,
            };
            if let Some(spec) = found.and_then(|s| s.parse::<VersionSpec>().ok()) {
                if !matches!(spec, VersionSpec::System) && !out.contains(&spec) {
                    out.push(spec);
                }
            }
        }
    }
    Ok(out)
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("cannot tell the current directory")?
        .join(p))
}

fn verify_cmd(ctx: &Ctx, dir: &Path) -> anyhow::Result<ExitCode> {
    let kit = Kit::new(absolute(dir)?);
    if !kit.root().is_dir() {
        bail!("{} is not a directory", kit.root().display());
    }
    // The database the kit was built for; GOSUMDB must name the same one (its key is
    // what the kit's tree head is checked with).
    let trust = Trust::from_env(FetchConfig::from_env(true))?;
    let db = database(&trust)?;
    if let Ok(Some(m)) = kit.manifest() {
        if m.sumdb != db.name {
            bail!(
                "the kit at {} carries the checksum database {}, but GOSUMDB names {}; set GOSUMDB to {}'s key",
                kit.root().display(),
                m.sumdb,
                db.name,
                m.sumdb
            );
        }
    }
    let reporter = Progress::new(ctx.global.quiet, ctx.global.verbose);
    let checked = verify::verify(&kit, &db, &reporter);
    if checked.problems.is_empty() {
        ctx.out.status(format!(
            "kit {} verified: {} files, {} module versions proven in {}'s signed tree, {} archives",
            kit.root().display(),
            checked.files,
            checked.modules,
            db.name,
            checked.archives
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for p in &checked.problems {
        ctx.out.result(p.to_string());
    }
    ctx.out.warn(format!(
        "the kit at {} has {} problem(s); sync it again on a connected machine",
        kit.root().display(),
        checked.problems.len()
    ));
    Ok(ExitCode::from(1))
}

fn serve_cmd(ctx: &Ctx, dir: &Path, addr: &str) -> anyhow::Result<ExitCode> {
    let root = absolute(dir)?;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    serve::serve(&root, addr, |bound| {
        ctx.out.status(format!(
            "serving {} read-only at http://{bound}/ (Ctrl-C stops)",
            root.display()
        ));
        ctx.out.result(format!("http://{bound}"));
    })
    .with_context(|| format!("cannot serve {}", root.display()))?;
    Ok(ExitCode::SUCCESS)
}

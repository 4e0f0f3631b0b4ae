//! `gvr local [SPEC]`: pin a version for this directory in `.go-version`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use gvr::select::{find_system_go, Here};
use gvr::{GoVersion, GvrHome, VersionSpec};

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The version to pin: 1.22.10, 1.22 (newest installed 1.22.x), latest or system.
    /// Without it, print the version pinned here and its file
    pub spec: Option<VersionSpec>,
    /// Remove the .go-version file of the current directory
    #[arg(long, conflicts_with = "spec")]
    pub unset: bool,
    /// Install the version first if no installed version matches
    #[arg(long, requires = "spec")]
    pub install: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let file = cwd.join(gvr::select::files::GO_VERSION_FILE);
    if args.unset {
        return unset(ctx, &file);
    }
    match args.spec {
        Some(spec) => {
            let text = resolve_or_install(ctx, &spec, "local", args.install)?;
            write_pin(ctx, &file, &text)
        }
        None => {
            let here = Here::from_process()?;
            let Some(pin) = here.files.pin else {
                bail!(
                    "no .go-version or .tool-versions in {} or above; pin one with `gvr local <version>`",
                    cwd.display()
                );
            };
            let Some(text) = pin.text else {
                bail!(
                    "{} names no Go version; write one with `gvr local <version>`",
                    pin.path.display()
                );
            };
            print_pin(ctx, &text, &pin.path);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a pin as `<version> (set by <file>)`, warning when it is not installed.
pub fn print_pin(ctx: &Ctx, text: &str, path: &Path) {
    ctx.out
        .result(format!("{text} (set by {})", path.display()));
    if let Ok(VersionSpec::Exact(v)) = text.parse::<VersionSpec>() {
        if !matches!(ctx.home.find_installed(&v), Ok(Some(_))) {
            ctx.out
                .warn(format!("Go {v} is not installed; run `gvr install {v}`"));
        }
    }
}

/// The text to write for `spec`: an installed exact version (a prefix or `latest`
/// becomes the newest installed match) or `system`.
pub fn resolve_for_pin(
    home: &GvrHome,
    parsed: &VersionSpec,
    command: &str,
) -> anyhow::Result<String> {
    let installed = home
        .installed_versions()
        .with_context(|| format!("cannot list {}", home.versions_dir().display()))?;
    let chosen: Option<&GoVersion> = match parsed {
        VersionSpec::System => {
            if find_system_go(home, std::env::var_os("PATH").as_deref()).is_none() {
                bail!("there is no `go` on PATH outside gvr's shims to pin as `system`");
            }
            return Ok("system".to_string());
        }
        VersionSpec::Exact(v) => installed.iter().find(|i| *i == v),
        _ => parsed.pick(&installed),
    };
    match chosen {
        Some(v) => Ok(v.to_string()),
        None => bail!(
            "Go {parsed} is not installed; run `gvr install {parsed}`, then `gvr {command} {parsed}`"
        ),
    }
}

/// [`resolve_for_pin`], installing the spec first when asked to and nothing installed
/// matches.
pub fn resolve_or_install(
    ctx: &Ctx,
    spec: &VersionSpec,
    command: &str,
    install: bool,
) -> anyhow::Result<String> {
    match resolve_for_pin(&ctx.home, spec, command) {
        Err(_) if install => {
            let opts = gvr::dist::InstallOptions {
                force: false,
                allow_unverified: false,
                trust: None,
            };
            if !super::install::install_specs(ctx, std::slice::from_ref(spec), &opts)? {
                bail!("Go {spec} was not pinned because it could not be installed");
            }
            resolve_for_pin(&ctx.home, spec, command)
        }
        other => other,
    }
}

/// Writes `text` to `file` atomically and says what changed.
pub fn write_pin(ctx: &Ctx, file: &Path, text: &str) -> anyhow::Result<ExitCode> {
    let before = gvr::select::files::read_small(file)
        .ok()
        .and_then(|t| gvr::select::files::parse_go_version(&t));
    gvr::fsutil::write_atomic(file, format!("{text}\n").as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    match before {
        Some(old) if old != text => ctx
            .out
            .status(format!("updated {} from {old} to {text}", file.display())),
        _ => ctx
            .out
            .status(format!("pinned Go {text} in {}", file.display())),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn unset(ctx: &Ctx, file: &PathBuf) -> anyhow::Result<ExitCode> {
    match std::fs::remove_file(file) {
        Ok(()) => ctx.out.status(format!("removed {}", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ctx.out.status(format!("no {} to remove", file.display()))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", file.display())),
    }
    Ok(ExitCode::SUCCESS)
}

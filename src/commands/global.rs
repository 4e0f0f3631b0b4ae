//! `gvr global [SPEC]`: the default version where nothing is pinned (`$GVR_HOME/version`).

use std::process::ExitCode;

use anyhow::bail;
use gvr::VersionSpec;

use super::local::{print_pin, resolve_or_install, unset, write_pin};
use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The default version: 1.22.10, 1.22 (newest installed 1.22.x), latest or system.
    /// Without it, print the global default and its file
    pub spec: Option<VersionSpec>,
    /// Remove the global default (the system go applies where nothing is pinned)
    #[arg(long, conflicts_with = "spec")]
    pub unset: bool,
    /// Install the version first if no installed version matches
    #[arg(long, requires = "spec")]
    pub install: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let file = ctx.home.global_version_file();
    if args.unset {
        return unset(ctx, &file);
    }
    match args.spec {
        Some(spec) => {
            let text = resolve_or_install(ctx, &spec, "global", args.install)?;
            write_pin(ctx, &file, &text)
        }
        None => {
            let text = match gvr::select::files::read_small(&file) {
                Ok(t) => gvr::select::files::parse_go_version(&t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    bail!("no global default is set ({} does not exist); set one with `gvr global <version>`", file.display())
                }
                Err(e) => bail!("cannot read {}: {e}", file.display()),
            };
            let Some(text) = text else {
                bail!(
                    "{} names no Go version; set one with `gvr global <version>`",
                    file.display()
                );
            };
            print_pin(ctx, &text, &file);
            Ok(ExitCode::SUCCESS)
        }
    }
}

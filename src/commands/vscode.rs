//! `gvr vscode [--user] [--print]`: point vscode-go's `go` and `gopls` at gvr's shims
//! and stop it replacing the pinned gopls, merging into the settings file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use gvr::doctor::Probe;
use gvr::process::OsProcess;
use gvr::select::Here;
use gvr::vscode;
use gvr::workspace::Workspace;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write the user settings file (VS Code, Insiders or VSCodium, whichever exists)
    /// instead of the workspace's .vscode/settings.json
    #[arg(long)]
    pub user: bool,
    /// Print the file as it would be written, and write nothing
    #[arg(long)]
    pub print: bool,
}

/// The workspace settings file: the nearest existing `.vscode/settings.json`, else one
/// in the workspace root (the go.work's directory, else the pin's, else the go.mod's).
fn workspace_target(ctx: &Ctx, cwd: PathBuf) -> anyhow::Result<PathBuf> {
    if let Some(p) = vscode::find_workspace_settings(&cwd) {
        return Ok(p);
    }
    let here = Here::new(&OsProcess, cwd)?;
    let ws = Workspace::find(&ctx.home, &here);
    Ok(ws.root.join(vscode::WORKSPACE_SETTINGS))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let path = if args.user {
        vscode::user_settings_target(&Probe::of_os(ctx.home.clone(), cwd))?
    } else {
        workspace_target(ctx, cwd)?
    };
    let shims = ctx.home.shims_dir();
    if args.print {
        let old = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        ctx.out.status(format!("{}:", path.display()));
        ctx.out
            .result(vscode::merge(&path, &old, &shims)?.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    let done = vscode::write(&path, &shims)?;
    if !done.changed {
        ctx.out
            .status(format!("{} already has gvr's settings", path.display()));
    } else {
        let backup = done
            .backup
            .map(|b| format!(" (the old file is in {})", b.display()))
            .unwrap_or_default();
        ctx.out.status(format!(
            "wrote gvr's settings to {}: go.alternateTools go and gopls → {}, tool updates off{backup}",
            path.display(),
            shims.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

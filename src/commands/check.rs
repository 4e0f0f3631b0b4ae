//! `gvr check [--json] [--install-hook]`: the repository's Go pins, go.mod/go.work
//! lines and gopls pins, for pre-commit and CI.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use gvr::check::{self, HookOutcome};

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print {"root", "problems": [{"path", "line", "message"}]}
    #[arg(long)]
    pub json: bool,
    /// Add `gvr check` to .git/hooks/pre-commit, keeping (and running first) a hook
    /// that is already there
    #[arg(long, conflicts_with = "json")]
    pub install_hook: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let root = check::repo_root(&cwd);
    if args.install_hook {
        let hooks = check::hooks_dir(&root).with_context(|| {
            format!(
                "{} is not in a git repository; run `git init` first",
                cwd.display()
            )
        })?;
        let gvr = std::env::current_exe().context("cannot find the running gvr")?;
        let out = check::install_hook(&hooks, &gvr)
            .with_context(|| format!("cannot install the hook in {}", hooks.display()))?;
        ctx.out.status(match out {
            HookOutcome::Installed(h) => format!("installed {}", h.display()),
            HookOutcome::Chained { hook, previous } => format!(
                "installed {}; it runs your previous hook (now {}) first",
                hook.display(),
                previous.display()
            ),
            HookOutcome::AlreadyInstalled(h) => format!("{} runs gvr check already", h.display()),
        });
        return Ok(ExitCode::SUCCESS);
    }
    let problems = check::check(&root);
    if args.json {
        let v = serde_json::json!({"root": root, "problems": problems});
        ctx.out.result(serde_json::to_string_pretty(&v)?);
    } else {
        for p in &problems {
            ctx.out.result(format!(
                "{}:{}: {}",
                shown(&cwd, &p.path),
                p.line,
                p.message
            ));
        }
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ctx.out.status(format!(
            "{} problem{} in {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            root.display()
        ));
        ExitCode::from(1)
    })
}

/// A path relative to the current directory when it is below it.
fn shown(cwd: &Path, p: &Path) -> String {
    p.strip_prefix(cwd)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

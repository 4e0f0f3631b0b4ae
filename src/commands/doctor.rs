//! `gvr doctor [--json] [--fix] [--fail-on error|warn] [--network]`: find and fix what
//! makes the editor, gopls, go, GOROOT, go.work and GOTOOLCHAIN disagree here.

use std::io::IsTerminal;
use std::process::{Command, ExitCode};

use anyhow::Context;
use gvr::doctor::{self, goenv, Fix, Options, Probe, Report, Status};

use super::Ctx;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warn,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the report as JSON: {"dir", "selection", "checks": [{"id", "status", "summary", "fix"}]}
    #[arg(long)]
    pub json: bool,
    /// Apply the safe fixes (rehash, install the selected Go, build the pinned gopls,
    /// write VS Code settings, remove stale lines from go's env file), each printed as it
    /// is applied; shell startup files are never edited (the exact line is printed)
    #[arg(long)]
    pub fix: bool,
    /// Exit 1 on warnings too, not only on errors
    #[arg(long, value_enum, default_value = "error", value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Also check that the module proxy answers
    #[arg(long)]
    pub network: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let probe = Probe::of_os(ctx.home.clone(), cwd);
    let opts = Options {
        network: args.network,
    };
    let mut report = doctor::run(&probe, &opts);
    if args.fix {
        // A fix can uncover the next (an installed SDK lets its gopls be built), so
        // check again after each round; never apply the same fix twice.
        let mut applied: Vec<Fix> = Vec::new();
        for _ in 0..3 {
            let fixes: Vec<Fix> = ordered_fixes(&report)
                .into_iter()
                .filter(|f| !applied.contains(f))
                .collect();
            if fixes.is_empty() {
                break;
            }
            for fix in fixes {
                apply(ctx, &fix)?;
                applied.push(fix);
            }
            report = doctor::run(&probe, &opts);
        }
    }
    if args.json {
        ctx.out.result(serde_json::to_string_pretty(&report)?);
    } else {
        print_human(ctx, &report);
    }
    let failed = match args.fail_on {
        FailOn::Error => report.worst() == Status::Error,
        FailOn::Warn => report.worst() >= Status::Warn,
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The fixes to apply, each once, in an order that works: go's env file first (shown
/// before anything runs), then gvr's own state, then installs (an SDK before the gopls
/// built with it), then editor settings.
fn ordered_fixes(report: &Report) -> Vec<Fix> {
    let mut all: Vec<Fix> = Vec::new();
    for fix in report
        .checks
        .iter()
        .filter(|c| c.status != Status::Ok)
        .flat_map(|c| c.actions.iter())
    {
        // Several lines of one env file are removed in one go.
        if let Fix::RemoveEnvLines { file, keys } = fix {
            if let Some(Fix::RemoveEnvLines { keys: have, .. }) = all
                .iter_mut()
                .find(|f| matches!(f, Fix::RemoveEnvLines { file: f2, .. } if f2 == file))
            {
                for k in keys {
                    if !have.contains(k) {
                        have.push(k.clone());
                    }
                }
                continue;
            }
        }
        if !all.contains(fix) {
            all.push(fix.clone());
        }
    }
    let rank = |f: &Fix| match f {
        Fix::RemoveEnvLines { .. } => 0,
        Fix::CleanStaging(_) => 1,
        Fix::Gvr(a) if a[0] == "rehash" => 2,
        Fix::Gvr(a) if a[0] == "install" => 3,
        Fix::Gvr(a) if a[0] == "gopls" => 4,
        Fix::Gvr(_) => 5,
    };
    all.sort_by_key(rank);
    all
}

fn apply(ctx: &Ctx, fix: &Fix) -> anyhow::Result<()> {
    match fix {
        Fix::RemoveEnvLines { file, keys } => {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let removed = goenv::remove_keys(file, &keys)
                .with_context(|| format!("cannot edit {}", file.display()))?;
            for line in removed {
                ctx.out
                    .status(format!("fix: removed `{line}` from {}", file.display()));
            }
        }
        Fix::CleanStaging(dir) => {
            gvr::fsutil::clean_staging(dir);
            ctx.out.status(format!(
                "fix: removed dead processes' leftovers from {}",
                dir.display()
            ));
        }
        Fix::Gvr(args) => {
            ctx.out.status(format!("fix: gvr {}", args.join(" ")));
            let gvr = std::env::current_exe().context("cannot find the running gvr")?;
            let mut cmd = Command::new(gvr);
            cmd.args(args).stdout(std::io::stderr());
            if let Some(m) = &ctx.global.mirror {
                cmd.env("GVR_MIRROR", m);
            }
            if ctx.global.offline {
                cmd.env("GVR_OFFLINE", "1");
            }
            let status = cmd
                .status()
                .with_context(|| format!("cannot run gvr {}", args.join(" ")))?;
            if !status.success() {
                ctx.out
                    .warn(format!("`gvr {}` failed; see above", args.join(" ")));
            }
        }
    }
    Ok(())
}

/// Colour for a terminal that wants it (NO_COLOR unset or empty).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_human(ctx: &Ctx, report: &Report) {
    let colour = use_colour();
    let sel = &report.selection;
    let head = match (&sel.version, &sel.origin, &sel.error) {
        (Some(v), Some(o), _) if v.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("go{v} ({o})")
        }
        (Some(_), Some(o), _) => o.clone(),
        (_, _, Some(e)) => e.clone(),
        _ => "nothing selected".into(),
    };
    ctx.out
        .result(format!("gvr doctor in {}: {head}", report.dir.display()));
    for c in &report.checks {
        let word = format!("{:<5}", c.status.to_string());
        let word = if colour {
            let code = match c.status {
                Status::Ok => "32",
                Status::Warn => "33",
                Status::Error => "31",
            };
            format!("\x1b[{code}m{word}\x1b[0m")
        } else {
            word
        };
        let fix = c
            .fix
            .as_deref()
            .map(|f| format!(" — fix: {f}"))
            .unwrap_or_default();
        ctx.out
            .result(format!("{word} {:<18} {}{fix}", c.id, c.summary));
    }
    let count = |s| report.checks.iter().filter(|c| c.status == s).count();
    let (e, w) = (count(Status::Error), count(Status::Warn));
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if e + w > 0 {
        let fixable = report.checks.iter().any(|c| !c.actions.is_empty());
        ctx.out.status(format!(
            "{}, {}{}",
            plural(e, "error"),
            plural(w, "warning"),
            if fixable {
                "; `gvr doctor --fix` applies the safe fixes"
            } else {
                ""
            }
        ));
    }
}

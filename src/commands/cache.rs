//! `gvr cache list|prune`: the per-workspace GOCACHE directories.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use gvr::workspace::{list_caches, prune_caches, WorkspaceCache};

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CacheCommand {
    /// List workspace caches with their size, last use and workspace
    List,
    /// Remove workspace caches not used recently
    Prune {
        /// Remove caches unused for more than this many days
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        older_than: u64,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let root = ctx.home.gocache_root();
    match args.command {
        CacheCommand::List => {
            let caches = list_caches(&ctx.home)
                .with_context(|| format!("cannot list {}", root.display()))?;
            if caches.is_empty() {
                ctx.out
                    .status(format!("no workspace caches in {}", root.display()));
            }
            let now = SystemTime::now();
            for c in &caches {
                ctx.out.result(format!(
                    "{:>10}  {:<14}  {}  {}",
                    human_size(c.size),
                    age(now, c.last_used),
                    c.id,
                    root_of(c)
                ));
            }
        }
        CacheCommand::Prune { older_than } => {
            let cutoff = SystemTime::now() - Duration::from_secs(older_than.saturating_mul(86_400));
            let removed = prune_caches(&ctx.home, cutoff)
                .with_context(|| format!("cannot prune {}", root.display()))?;
            let total: u64 = removed.iter().map(|c| c.size).sum();
            for c in &removed {
                ctx.out.result(format!(
                    "removed {} ({}, {})",
                    c.id,
                    human_size(c.size),
                    root_of(c)
                ));
            }
            ctx.out.status(format!(
                "removed {} workspace cache(s) unused for {older_than} days, {} freed",
                removed.len(),
                human_size(total)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn root_of(c: &WorkspaceCache) -> String {
    c.root.as_ref().map_or_else(
        || "(workspace unknown)".to_string(),
        |p| p.display().to_string(),
    )
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn age(now: SystemTime, then: SystemTime) -> String {
    let secs = now.duration_since(then).unwrap_or_default().as_secs();
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

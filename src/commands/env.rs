//! `gvr env`: the variables the shims set here, and why.

use std::process::ExitCode;

use gvr::select::{select, Here};
use gvr::toolchain::{EnvValue, EnvVar, Toolchain, SHIM_DEPTH_VAR};
use gvr::workspace::Workspace;

use super::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
    /// Print `export`/`unset` lines for a POSIX shell: eval "$(gvr env --shell)"
    #[arg(long)]
    pub shell: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let here = Here::from_process()?;
    let selection = select(&ctx.home, &here)?;
    let ws = Workspace::find(&ctx.home, &here);
    let toolchain = Toolchain::new(&ctx.home, selection);
    // As the shim computes it, minus this process's own nesting.
    let vars: Vec<EnvVar> = toolchain.env(&ws, here.process)?;

    if args.shell {
        for var in &vars {
            // The counter belongs to shim processes, not to an interactive shell.
            if var.name == SHIM_DEPTH_VAR {
                continue;
            }
            match &var.value {
                EnvValue::Set(v) => ctx.out.result(format!(
                    "export {}={}",
                    var.name,
                    sh_quote(&v.to_string_lossy())
                )),
                EnvValue::Unset => ctx.out.result(format!("unset {}", var.name)),
                EnvValue::Kept(_) | EnvValue::Untouched => {}
            }
        }
    } else if args.json {
        let items: Vec<serde_json::Value> = vars
            .iter()
            .map(|v| {
                let (action, value) = match &v.value {
                    EnvValue::Set(x) => ("set", Some(x.to_string_lossy().into_owned())),
                    EnvValue::Kept(x) => ("kept", Some(x.to_string_lossy().into_owned())),
                    EnvValue::Unset => ("unset", None),
                    EnvValue::Untouched => ("untouched", None),
                };
                serde_json::json!({"name": v.name, "action": action, "value": value, "why": v.why})
            })
            .collect();
        let doc = serde_json::json!({
            "version": toolchain.version().map(|v| v.to_string()),
            "origin": toolchain.selection.origin.to_string(),
            "workspace": {
                "root": ws.root.display().to_string(),
                "gowork": ws.gowork.as_ref().map(|p| p.display().to_string()),
                "gocache": ws.gocache.display().to_string(),
            },
            "vars": items,
        });
        ctx.out.result(serde_json::to_string_pretty(&doc)?);
    } else {
        ctx.out.result(format!("# Go {}", toolchain.selection));
        ctx.out.result(format!("# workspace {}", ws.root.display()));
        for var in &vars {
            let line = match &var.value {
                EnvValue::Set(v) => format!("{}={}", var.name, v.to_string_lossy()),
                EnvValue::Kept(v) => format!("{}={} (kept)", var.name, v.to_string_lossy()),
                EnvValue::Unset => format!("{} unset", var.name),
                EnvValue::Untouched => format!("{} not set", var.name),
            };
            ctx.out.result(format!("{line}  # {}", var.why));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Single-quotes `s` for POSIX shells.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

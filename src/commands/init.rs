//! `gvr init [SHELL]`: the lines to add to a shell's startup file (shims on PATH and
//! completions). gvr never edits those files itself.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::env::sh_quote;
use super::Ctx;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell; detected from $SHELL when omitted
    #[arg(value_enum)]
    pub shell: Option<InitShell>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        Some(s) => s,
        None => detect()?,
    };
    let shims = ctx.home.shims_dir();
    let gvr_home = std::env::var_os("GVR_HOME").filter(|v| !v.is_empty());
    let gvr_home = gvr_home.as_deref().map(Path::new);
    for line in script(shell, &shims, gvr_home) {
        ctx.out.result(line);
    }
    Ok(ExitCode::SUCCESS)
}

fn detect() -> anyhow::Result<InitShell> {
    let shell = std::env::var("SHELL").unwrap_or_default();
    let name = Path::new(&shell)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    Ok(match name {
        "bash" => InitShell::Bash,
        "zsh" => InitShell::Zsh,
        "fish" => InitShell::Fish,
        "pwsh" | "powershell" | "pwsh.exe" | "powershell.exe" => InitShell::Powershell,
        _ => bail!("cannot tell your shell from SHELL=`{shell}`; name it: gvr init bash|zsh|fish|powershell"),
    })
}

/// The setup for `shell`. Re-sourcing it does not add the shims dir to PATH twice.
fn script(shell: InitShell, shims: &Path, gvr_home: Option<&Path>) -> Vec<String> {
    let dir = shims.display().to_string();
    match shell {
        InitShell::Bash | InitShell::Zsh => {
            let rc = if shell == InitShell::Bash {
                "~/.bashrc"
            } else {
                "~/.zshrc"
            };
            let name = if shell == InitShell::Bash {
                "bash"
            } else {
                "zsh"
            };
            let q = sh_quote(&dir);
            let mut lines = vec![format!("# gvr: add to {rc}:  eval \"$(gvr init {name})\"")];
            if let Some(h) = gvr_home {
                lines.push(format!(
                    "export GVR_HOME={}",
                    sh_quote(&h.display().to_string())
                ));
            }
            lines.push(format!(
                "case \":$PATH:\" in *:{q}:*) ;; *) export PATH={q}\":$PATH\" ;; esac"
            ));
            if shell == InitShell::Bash {
                lines.push(
                    "if command -v gvr >/dev/null 2>&1; then source <(gvr completions bash); fi"
                        .into(),
                );
            } else {
                lines.push(
                    "(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }".into(),
                );
                lines.push(
                    "if command -v gvr >/dev/null 2>&1; then eval \"$(gvr completions zsh)\"; fi"
                        .into(),
                );
            }
            lines
        }
        InitShell::Fish => {
            let q = fish_quote(&dir);
            let mut lines = vec![
                "# gvr: add to ~/.config/fish/config.fish:  gvr init fish | source".to_string(),
            ];
            if let Some(h) = gvr_home {
                lines.push(format!(
                    "set -gx GVR_HOME {}",
                    fish_quote(&h.display().to_string())
                ));
            }
            lines.push(format!("contains -- {q} $PATH; or set -gx PATH {q} $PATH"));
            lines.push("if type -q gvr; gvr completions fish | source; end".into());
            lines
        }
        InitShell::Powershell => {
            let q = ps_quote(&dir);
            let mut lines = vec![
                "# gvr: add to $PROFILE:  gvr init powershell | Out-String | Invoke-Expression"
                    .to_string(),
            ];
            if let Some(h) = gvr_home {
                lines.push(format!(
                    "$env:GVR_HOME = {}",
                    ps_quote(&h.display().to_string())
                ));
            }
            lines.push(format!(
                "if (-not (($env:PATH -split [IO.Path]::PathSeparator) -contains {q})) {{ $env:PATH = {q} + [IO.Path]::PathSeparator + $env:PATH }}"
            ));
            lines.push("if (Get-Command gvr -ErrorAction SilentlyContinue) { gvr completions powershell | Out-String | Invoke-Expression }".into());
            lines
        }
    }
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

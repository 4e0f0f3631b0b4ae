//! The `gvr` command line: parse, dispatch to one file per subcommand, map errors to
//! exit codes (1 failure, 2 usage).

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Ctx;

#[derive(Parser)]
#[command(
    name = "gvr",
    version,
    about = "A Go toolchain manager: verified SDK installs, per-directory versions, lean shims, pinned gopls",
    long_about = None,
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: commands::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download, verify and install Go SDKs
    Install(commands::install::Args),
    /// Remove installed Go SDKs
    Uninstall(commands::uninstall::Args),
    /// List installed Go versions, newest first
    List(commands::list::Args),
    /// List the Go versions the release index (go.dev or the mirror) offers
    ListRemote(commands::list_remote::Args),
    /// Pin a Go version for this directory (.go-version), or show the pin
    Local(commands::local::Args),
    /// Set the default Go version where nothing is pinned, or show it
    Global(commands::global::Args),
    /// Show the Go version selected here and why
    Current(commands::current::Args),
    /// Show the path of the binary a shim would run here
    Which(commands::which::Args),
    /// Run a command with the Go environment the shims set here
    Exec(commands::exec::Args),
    /// Show the environment the shims set here, and why
    Env(commands::env::Args),
    /// Print shell setup: shims on PATH and completions
    Init(commands::init::Args),
    /// Print a shell completion script
    Completions(commands::completions::Args),
    /// Recreate the shims in $GVR_HOME/shims
    Rehash(commands::rehash::Args),
    /// List or prune the per-workspace Go build caches
    Cache(commands::cache::Args),
    /// Pinned gopls builds: install, pin, current, list, uninstall
    Gopls(commands::gopls::Args),
    /// Air-gapped kits: sync one on a connected machine, verify it, serve it
    Mirror(commands::mirror::Args),
    /// Find (and with --fix repair) what makes the editor, gopls, go, GOROOT, go.work and GOTOOLCHAIN disagree here
    Doctor(commands::doctor::Args),
    /// Point VS Code's Go extension at gvr's shims (workspace or user settings)
    Vscode(commands::vscode::Args),
    /// Check the repository's Go pins, go.mod/go.work lines and gopls pins (pre-commit, CI)
    Check(commands::check::Args),
    /// Link installed versions into ~/sdk, where VS Code and golang.org/dl look for SDKs
    Sdk(commands::sdk::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match Ctx::new(&cli.global) {
        Ok(ctx) => ctx,
        Err(e) => return commands::report_error(&e),
    };
    let result = match cli.command {
        Command::Install(a) => commands::install::run(&ctx, a),
        Command::Uninstall(a) => commands::uninstall::run(&ctx, a),
        Command::List(a) => commands::list::run(&ctx, a),
        Command::ListRemote(a) => commands::list_remote::run(&ctx, a),
        Command::Local(a) => commands::local::run(&ctx, a),
        Command::Global(a) => commands::global::run(&ctx, a),
        Command::Current(a) => commands::current::run(&ctx, a),
        Command::Which(a) => commands::which::run(&ctx, a),
        Command::Exec(a) => commands::exec::run(&ctx, a),
        Command::Env(a) => commands::env::run(&ctx, a),
        Command::Init(a) => commands::init::run(&ctx, a),
        Command::Completions(a) => commands::completions::run(&ctx, a),
        Command::Rehash(a) => commands::rehash::run(&ctx, a),
        Command::Cache(a) => commands::cache::run(&ctx, a),
        Command::Gopls(a) => commands::gopls::run(&ctx, a),
        Command::Mirror(a) => commands::mirror::run(&ctx, a),
        Command::Doctor(a) => commands::doctor::run(&ctx, a),
        Command::Vscode(a) => commands::vscode::run(&ctx, a),
        Command::Check(a) => commands::check::run(&ctx, a),
        Command::Sdk(a) => commands::sdk::run(&ctx, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => commands::report_error(&e),
    }
}

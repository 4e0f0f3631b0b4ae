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
    /// Pinned gopls builds: install, pin, current, list, uninstall
    Gopls(commands::gopls::Args),
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
        Command::Gopls(a) => commands::gopls::run(&ctx, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => commands::report_error(&e),
    }
}

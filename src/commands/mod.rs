//! One file per subcommand, each thin: parse → call the library → print.

pub mod gopls;
pub mod install;
pub mod list;
pub mod list_remote;
pub mod mirror;
pub mod output;
pub mod progress;
pub mod uninstall;

pub mod cache;
pub mod check;
pub mod completions;
pub mod current;
pub mod doctor;
pub mod env;
pub mod exec;
pub mod global;
pub mod init;
pub mod local;
pub mod rehash;
pub mod sdk;
pub mod vscode;
pub mod which;

use std::process::ExitCode;

use gvr::GvrHome;

pub use output::Printer;

/// Options every subcommand takes. Each doubles as an environment variable.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Install from this mirror of go.dev's download layout or kit (`gvr mirror sync`):
    /// an http(s) URL, a file:// URL or a directory. For `gvr mirror sync`: where the
    /// archives come from
    #[arg(long, global = true, env = "GVR_MIRROR", value_name = "URL|PATH")]
    pub mirror: Option<String>,
    /// Where releases come from: auto (go.dev, or the mirror when one is given; the
    /// GOPROXY when go.dev cannot be resolved), go.dev, mirror, or goproxy (the toolchain
    /// module from GOPROXY, verified against GOSUMDB)
    #[arg(long, global = true, env = "GVR_SOURCE", value_enum, default_value_t = SourceKind::Auto, hide_default_value = true)]
    pub source: SourceKind,
    /// Never touch the network: use the cached index and downloads only
    #[arg(long, global = true, env = "GVR_OFFLINE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub offline: bool,
    /// Print only errors
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what happens (URLs, checksums, paths)
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--source` / `GVR_SOURCE`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Auto,
    #[value(name = "go.dev")]
    GoDev,
    Mirror,
    Goproxy,
}

/// What every command needs: where gvr lives and how to talk to the user.
pub struct Ctx {
    pub home: GvrHome,
    pub out: Printer,
    pub global: GlobalArgs,
}

impl Ctx {
    pub fn new(global: &GlobalArgs) -> anyhow::Result<Ctx> {
        Ok(Ctx {
            home: GvrHome::from_env()?,
            out: Printer::new(global.quiet, global.verbose),
            global: global.clone(),
        })
    }
}

/// Prints an error chain the way users read it and picks the exit code.
pub fn report_error(e: &anyhow::Error) -> ExitCode {
    output::print_error(e);
    ExitCode::from(1)
}

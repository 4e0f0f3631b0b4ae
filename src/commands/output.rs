//! The one place that writes to the terminal: results to stdout, messages to stderr,
//! `--quiet` and `-v` honoured here and nowhere else.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

pub struct Printer {
    quiet: bool,
    verbose: u8,
    stderr_tty: bool,
}

impl Printer {
    pub fn new(quiet: bool, verbose: u8) -> Printer {
        Printer {
            quiet,
            verbose,
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// A command's result (what scripts read): always printed, even with `--quiet`.
    pub fn result(&self, line: impl AsRef<str>) {
        use std::io::Write;
        if let Err(e) = writeln!(std::io::stdout().lock(), "{}", line.as_ref()) {
            // `gvr list | head -1`: the reader has what it wanted; stop like other Unix tools.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }

    /// A status message on stderr, silenced by `--quiet`.
    pub fn status(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// Detail shown with `-v`.
    pub fn verbose(&self, line: impl AsRef<str>) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// A warning: shown unless `--quiet`.
    pub fn warn(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("warning: {}", line.as_ref());
        }
    }

    /// Whether progress bars make sense (stderr is a terminal and not quiet).
    pub fn wants_bars(&self) -> bool {
        self.stderr_tty && !self.quiet
    }
}

pub fn print_error(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

//! The CLI's [`Reporter`]: indicatif bars on a terminal, one plain line per step when
//! stderr is not a terminal, nothing with `--quiet`.

use std::sync::Mutex;
use std::time::Duration;

use gvr::report::Reporter;
use indicatif::{ProgressBar, ProgressStyle};

use super::Printer;

enum Mode {
    Bars,
    Lines,
    Quiet,
}

pub struct Progress {
    mode: Mode,
    out: Printer,
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress {
    pub fn new(quiet: bool, verbose: u8) -> Progress {
        let out = Printer::new(quiet, verbose);
        let mode = if quiet {
            Mode::Quiet
        } else if out.wants_bars() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            out,
            bar: Mutex::new(None),
        }
    }

    fn bar(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Reporter for Progress {
    fn start(&self, step: &str, total: Option<u64>) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => self.out.status(step),
            Mode::Bars => {
                let bar = match total {
                    Some(n) => ProgressBar::new(n).with_style(
                        ProgressStyle::with_template(
                            "{msg}\n{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    ),
                    None => {
                        let b = ProgressBar::new_spinner().with_style(
                            ProgressStyle::with_template("{spinner} {msg}").expect("valid template"),
                        );
                        b.enable_steady_tick(Duration::from_millis(120));
                        b
                    }
                };
                bar.set_message(step.to_string());
                if let Some(old) = self.bar().replace(bar) {
                    old.finish_and_clear();
                }
            }
        }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.bar().as_ref() {
            // A byte stream of unknown size: show how much arrived so far.
            if bar.length().is_none() && bar.position() == 0 {
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                        .expect("valid template"),
                );
            }
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar().take() {
            bar.finish_and_clear();
        }
    }

    fn note(&self, message: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => self.out.status(message),
            Mode::Bars => match self.bar().as_ref() {
                Some(bar) => bar.suspend(|| self.out.status(message)),
                None => self.out.status(message),
            },
        }
    }
}

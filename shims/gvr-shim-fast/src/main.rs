//! `gvr-shim-fast`: the front of the `go`, `gofmt` and `gopls` shims on Linux.
//!
//! Starting any program linked with the C library costs about 0.3 ms on a VM (most of
//! it glibc's start-up), more than the whole budget of a shim. So the shim on PATH is
//! this freestanding executable, which does no selection at all: it looks up the
//! decision `gvr-shim` recorded for this tool and directory (see `gvr_core::decision`),
//! checks that every input of that decision is unchanged (the environment variables
//! selection reads and the signature of every file it could have read), applies the
//! recorded environment and execs the recorded program. Anything else — no record, a
//! changed input, an unreadable record, an exec failure — hands over to the full
//! `gvr-shim` (`<shims>/.full/<tool>`) with the original arguments and environment,
//! which decides, reports errors and records the decision for next time.

#![cfg_attr(all(freestanding, not(test)), no_std, no_main)]

#[cfg(all(freestanding, not(test)))]
mod freestanding;

#[cfg(not(all(freestanding, not(test))))]
fn main() {
    eprintln!(
        "gvr-shim-fast runs only on Linux x86_64 and aarch64; elsewhere `gvr rehash` links gvr-shim directly"
    );
    std::process::exit(2);
}

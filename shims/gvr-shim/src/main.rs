//! The shim behind `go`, `gofmt`, `gopls` and the `go<version>` entries in
//! `$GVR_HOME/shims`: argv[0] → tool name → gvr's selection for this directory → exec.
//!
//! Lean on purpose (see docs/architecture.md, "The shim contract"): it stats a few names per parent directory, reads a few
//! small files and replaces itself with the SDK's binary. No argument parsing, no
//! config, no network.

// Not under `cargo test`: the test harness brings its own main.
#![cfg_attr(all(target_os = "linux", not(test)), no_main)]

mod auto_install;

use std::ffi::OsStr;
use std::path::Path;

use gvr_core::exec::{exec, ExecError};
use gvr_core::home::HomeError;
use gvr_core::process::{OsProcess, Process, Recorder};
use gvr_core::select::{Here, Origin, SelectError, Selected, Selection, UnreadableFile};
use gvr_core::toolchain::launch::prepare;
use gvr_core::toolchain::{resolve_tool, Toolchain, ToolchainError};
use gvr_core::{GoVersion, GvrHome};

// On Linux the shim skips std's runtime setup (its stack-guard probe reads
// /proc/self/maps on every call) by providing the C `main` itself; std still captures
// argv/environ through glibc's init hooks, and the tool we exec sets up its own process.
#[cfg(all(target_os = "linux", not(test)))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    open_missing_std_fds();
    shim_main()
}

/// What std's runtime setup does and `no_main` skips: a closed stdin, stdout or stderr
/// is reopened on /dev/null, so that neither a file the shim opens nor one the tool
/// opens after the exec lands on fd 1 or 2 and receives the tool's output.
#[cfg(all(target_os = "linux", not(test)))]
fn open_missing_std_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::EBADF)
        {
            continue;
        }
        // The lowest free descriptor is `fd` itself (the lower ones are open by now).
        // SAFETY: a NUL-terminated path and plain flags.
        if unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } != fd {
            // As std does: going on could write the tool's output into a random file.
            std::process::abort();
        }
    }
}

#[cfg(any(not(target_os = "linux"), test))]
fn main() {
    // process::exit, not ExitCode: Windows exit codes are 32-bit (0xC000013A after
    // Ctrl-C) and pass through whole.
    std::process::exit(shim_main())
}

/// The exit code: the tool's (Windows, where the shim waits for it) or the shim's own.
fn shim_main() -> i32 {
    match run() {
        Ok(code) => code,
        Err(f) => {
            // The shim is its own edge: no Printer here, just the conventional prefix.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("gvr: {}", f.message);
            }
            i32::from(f.code)
        }
    }
}

/// A message for stderr and the exit code to leave with.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn new(message: impl Into<String>, code: u8) -> Failure {
        Failure {
            message: message.into(),
            code,
        }
    }
}

/// The error and its causes on one line: `cannot run /x/go: Permission denied`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

macro_rules! failure_from {
    ($($t:ty => $code:expr),* $(,)?) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                #[allow(clippy::redundant_closure_call)]
                let code = ($code)(&e);
                Failure::new(chain(&e), code)
            }
        }
    )*};
}

failure_from! {
    HomeError => |_: &HomeError| 1,
    SelectError => |_: &SelectError| 1,
    UnreadableFile => |_: &UnreadableFile| 1,
    ToolchainError => |e: &ToolchainError| e.exit_code(),
    ExecError => |e: &ExecError| e.exit_code(),
}

fn run() -> Result<i32, Failure> {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let tool = invoked_name(&argv0);
    // Every read the decision makes goes through `rec`, which is what lets it be
    // recorded for the fast shim (see gvr_core::decision).
    let rec = Recorder::new(&OsProcess);
    let home = GvrHome::from_process(&rec)?;

    if let Some(version) = versioned_entry(&tool) {
        return run_versioned(&rec, &home, version, args);
    }
    if tool == "gvr-shim" {
        return Err(Failure::new(
            "gvr-shim runs under a tool's name (go, gofmt, gopls): run `gvr rehash` and put $GVR_HOME/shims on PATH",
            2,
        ));
    }

    let started = std::time::SystemTime::now();
    let here = Here::read(&rec)?;
    let launch = prepare(&home, &here, None, |spec| {
        auto_install::install(&home, spec)
    })?;
    let toolchain = &launch.toolchain;
    let program = match resolve_tool(&rec, &home, toolchain, &tool, &here.cwd) {
        Err(ToolchainError::Gopls(e)) if auto_install::enabled(&rec) => match *e {
            gvr_core::gopls::LookupError::NotBuilt { version, go, .. } => {
                auto_install::run_gvr(&home, &gvr_core::gopls::install_args(&version, &go))?;
                resolve_tool(&rec, &home, toolchain, &tool, &here.cwd)?
            }
            other => return Err(ToolchainError::from(other).into()),
        },
        other => other?,
    };
    // Only a `go` found on PATH can be a copy of a shim; SDKs and gopls builds are
    // gvr's own files.
    if matches!(toolchain.selection.version, Selected::System(_)) {
        refuse_self(&home, &tool, &program)?;
    }
    record_decision(
        started,
        &home,
        &tool,
        &here,
        &rec,
        toolchain,
        &program,
        &launch.vars,
    );
    Ok(exec(&mut Toolchain::command(&program, args, &launch.vars))?)
}

/// Leaves the decision for `gvr-shim-fast` to replay next time (see `gvr_core::decision`).
/// Best effort: a failure only means no fast path.
#[cfg(unix)]
#[allow(clippy::too_many_arguments)]
fn record_decision(
    started: std::time::SystemTime,
    home: &GvrHome,
    tool: &str,
    here: &Here,
    rec: &Recorder,
    toolchain: &Toolchain,
    program: &Path,
    vars: &[gvr_core::toolchain::EnvVar],
) {
    // A system go (even one a go.mod then raised) is found through PATH lookups and a
    // binary the record does not capture.
    let system_default = matches!(
        &toolchain.selection.origin,
        Origin::GoMod { default, .. } if matches!(default.version, Selected::System(_))
    );
    if !matches!(toolchain.selection.version, Selected::Version(_)) || system_default {
        return;
    }
    // Only the full shim behind a fast one (`<shims>/.full/<tool>`) has a reader for
    // its records; anywhere else recording would be work for nothing.
    let Ok(self_exe) = std::env::current_exe() else {
        return;
    };
    if self_exe.parent() != Some(home.full_shims_dir().as_path()) {
        return;
    }
    // The running binary, even if a rehash has replaced the file since: its identity
    // goes into the record, so a record from a replaced full shim is not replayed.
    #[cfg(target_os = "linux")]
    let me = std::fs::metadata("/proc/self/exe");
    #[cfg(not(target_os = "linux"))]
    let me = std::fs::metadata(&self_exe);
    let Ok(me) = me else {
        return;
    };
    let full_shim = home.full_shims_dir().join(tool);
    let inputs = rec.inputs();
    let decision = gvr_core::decision::Decision {
        started,
        tool,
        cwd: &here.cwd,
        inputs: &inputs,
        program,
        vars,
        decided_by: (&full_shim, &me),
    };
    let _ = gvr_core::decision::record(home, &decision);
}

#[cfg(not(unix))]
#[allow(clippy::too_many_arguments)]
fn record_decision(
    _: std::time::SystemTime,
    _: &GvrHome,
    _: &str,
    _: &Here,
    _: &Recorder,
    _: &Toolchain,
    _: &Path,
    _: &[gvr_core::toolchain::EnvVar],
) {
}

/// `go<version>` (what `GOTOOLCHAIN=go1.22.10` looks up on PATH): run exactly that
/// SDK's `go`, with its GOROOT (the caller may have unset GOROOT) and its `bin` first.
fn run_versioned(
    p: &dyn Process,
    home: &GvrHome,
    version: GoVersion,
    args: std::env::ArgsOs,
) -> Result<i32, Failure> {
    let name = format!("go{version}");
    if !p.is_dir(&home.version_dir(&version)) {
        let spec = gvr_core::VersionSpec::Exact(version.clone());
        if !auto_install::enabled(p) {
            return Err(Failure::new(
                format!("Go {version} is not installed (asked for as `{name}`, e.g. by GOTOOLCHAIN); run `gvr install {version}`"),
                1,
            ));
        }
        auto_install::install(home, &spec)?;
    }
    let selection = Selection {
        version: Selected::Version(version),
        origin: Origin::Entry(name),
    };
    let toolchain = Toolchain::new(home, selection);
    // `go` needs no directory (only gopls pins do).
    let program = resolve_tool(p, home, &toolchain, "go", Path::new("."))?;
    let vars = toolchain.base_env(p)?;
    Ok(exec(&mut Toolchain::command(&program, args, &vars))?)
}

/// The tool a shim stands for: the file name it was run as, without `.exe`.
fn tool_name(argv0: &OsStr) -> String {
    let name = Path::new(argv0)
        .file_name()
        .unwrap_or(argv0)
        .to_string_lossy();
    let name = name
        .strip_suffix(".exe")
        .or_else(|| name.strip_suffix(".EXE"))
        .unwrap_or(&name);
    name.to_string()
}

/// The name this shim was run as. The executable's own file name comes first: the go
/// command switching toolchains execs `go1.22.10` from PATH but passes its own argv,
/// so argv[0] still says `go`. argv[0] is the fallback for a symlinked `gvr-shim`.
fn invoked_name(argv0: &OsStr) -> String {
    match std::env::current_exe() {
        Ok(exe) => match tool_name(exe.as_os_str()) {
            name if name != "gvr-shim" => name,
            _ => tool_name(argv0),
        },
        Err(_) => tool_name(argv0),
    }
}

/// `go1.22.10` → 1.22.10; `go`, `gofmt`, `gopls` → None.
fn versioned_entry(tool: &str) -> Option<GoVersion> {
    tool.strip_prefix("go")
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))?
        .parse()
        .ok()
}

/// A shim never execs a shim: if the selected binary is this very file or the fast shim
/// in front of it (a `go` on PATH that is a copy or link of a shim, selected as
/// `system`), stop here.
#[cfg(unix)]
fn refuse_self(home: &GvrHome, tool: &str, program: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;
    // Linux: one stat through the kernel's link; elsewhere ask for the path first.
    #[cfg(target_os = "linux")]
    let me = std::fs::metadata("/proc/self/exe");
    #[cfg(not(target_os = "linux"))]
    let me = std::env::current_exe().and_then(std::fs::metadata);
    let Ok(target) = std::fs::metadata(program) else {
        return Ok(());
    };
    // This binary, or the fast shim in front of it.
    let front = std::fs::metadata(home.shims_dir().join(tool));
    let is_shim = [me, front]
        .into_iter()
        .flatten()
        .any(|m| (m.dev(), m.ino()) == (target.dev(), target.ino()));
    if is_shim {
        return Err(Failure::new(
            format!(
                "{} is gvr's shim itself, not a Go SDK binary: a `go` on PATH leads back to the shim; remove that copy or pin a version with `gvr global <version>`",
                program.display()
            ),
            1,
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_self(_home: &GvrHome, _tool: &str, _program: &Path) -> Result<(), Failure> {
    // The recursion counter in the environment catches the loop.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names() {
        assert_eq!(
            tool_name(OsStr::new("/home/u/.local/share/gvr/shims/go")),
            "go"
        );
        assert_eq!(tool_name(OsStr::new("gofmt.exe")), "gofmt");
        assert_eq!(tool_name(OsStr::new("gopls")), "gopls");
    }

    #[test]
    fn versioned_entries() {
        assert_eq!(
            versioned_entry("go1.22.10"),
            Some("1.22.10".parse().unwrap())
        );
        assert_eq!(
            versioned_entry("go1.21rc1"),
            Some("1.21rc1".parse().unwrap())
        );
        assert_eq!(versioned_entry("go"), None);
        assert_eq!(versioned_entry("gofmt"), None);
        assert_eq!(versioned_entry("gopls"), None);
    }
}

//! Running the selected tool in place of the current process: the one module with
//! platform code for it.
//!
//! Unix: `exec`, so the tool owns the pid, signals, the TTY and the exit code.
//! Elsewhere (Windows): spawn, wait, and hand back the tool's exit code.

use std::io;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
#[error("cannot run {}", program.display())]
pub struct ExecError {
    pub program: PathBuf,
    pub source: io::Error,
}

impl ExecError {
    /// 127 when the program does not exist (as shells do), 126 when it cannot run.
    pub fn exit_code(&self) -> u8 {
        if self.source.kind() == io::ErrorKind::NotFound {
            127
        } else {
            126
        }
    }
}

/// Replaces this process with `cmd`. On Unix it returns only if the exec failed; on
/// other platforms it returns the child's exit code once it finished.
pub fn exec(cmd: &mut Command) -> Result<i32, ExecError> {
    imp::exec(cmd).map_err(|source| ExecError {
        program: PathBuf::from(cmd.get_program()),
        source,
    })
}

#[cfg(unix)]
mod imp {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    pub fn exec(cmd: &mut Command) -> std::io::Result<i32> {
        Err(cmd.exec())
    }
}

#[cfg(not(unix))]
mod imp {
    use std::process::Command;

    pub fn exec(cmd: &mut Command) -> std::io::Result<i32> {
        // No exec on Windows: run the tool as a child and pass its code through. The
        // console delivers Ctrl-C to both processes: the tool decides what it means,
        // and this process must outlive it to hand back its exit code.
        #[cfg(windows)]
        ignore_ctrl_c()?;
        let status = cmd.status()?;
        Ok(status.code().unwrap_or(1))
    }

    /// A handler that reports Ctrl-C and Ctrl-Break as handled, as rustup's and cargo's
    /// proxies install. Not `SetConsoleCtrlHandler(None, TRUE)`: that "ignore" flag is
    /// inherited by the child, which would then ignore Ctrl-C too.
    #[cfg(windows)]
    fn ignore_ctrl_c() -> std::io::Result<()> {
        // BOOL is an i32 in windows-sys.
        unsafe extern "system" fn handled(_ctrl_type: u32) -> i32 {
            1
        }
        // SAFETY: registers a handler that touches nothing; it lives as long as the
        // process (a plain fn).
        if unsafe { windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(handled), 1) }
            == 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

//! [`Here`]: the directory selection happens in, with what one walk up from it found
//! (the nearest pin file, go.work and go.mod), the variables selection reads, and the
//! process context every further read goes through.
//!
//! The shim walks on every call, so it only stats a few names per directory and reads
//! the few small files that matter.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use crate::go_env_file::GoEnvFile;
use crate::gvr_set::GvrSet;
use crate::pin_file::{
    parse_go_version, parse_tool_versions, GO_MOD_FILE, GO_VERSION_FILE, GO_WORK_FILE,
    TOOL_VERSIONS_FILE,
};
use crate::process::{OsProcess, Process};

/// Where selection happens: a directory, the files found walking up from it, the
/// variables selection reads, and the process context every further read goes through.
#[derive(Debug, Clone)]
pub struct Here<'p> {
    pub process: &'p dyn Process,
    pub cwd: PathBuf,
    pub files: ProjectFiles,
    /// `GVR_VERSION`, when set and not empty.
    pub gvr_version: Option<String>,
    /// `GOWORK` as the user set it (`off`, an absolute path, empty/`auto`), in the
    /// environment or in go's env file.
    pub gowork: Option<OsString>,
    pub path: Option<OsString>,
}

impl Here<'static> {
    /// The current directory and environment of this process.
    pub fn from_process() -> Result<Here<'static>, UnreadableFile> {
        Here::read(&OsProcess)
    }
}

impl<'p> Here<'p> {
    /// The current directory of `process`, read through it.
    pub fn read(process: &'p dyn Process) -> Result<Here<'p>, UnreadableFile> {
        let cwd = process.current_dir().map_err(|source| UnreadableFile {
            path: PathBuf::from("."),
            source,
        })?;
        Here::new(process, cwd)
    }

    /// `cwd`, read through `process`.
    pub fn new(process: &'p dyn Process, cwd: PathBuf) -> Result<Here<'p>, UnreadableFile> {
        let files = ProjectFiles::scan(process, &cwd)?;
        let gvr_version = process
            .var_os("GVR_VERSION")
            .map(|v| v.to_string_lossy().trim().to_string())
            .filter(|v| !v.is_empty());
        // As go reads it: the environment, else go's env file. A GOWORK an outer gvr set
        // for its workspace is not the user's (the tool's environment removes it).
        let gowork = GvrSet::from_process(process)
            .users_own("GOWORK", process.var_os("GOWORK"))
            .or_else(|| GoEnvFile::load(process).get("GOWORK").map(OsString::from));
        Ok(Here {
            process,
            cwd,
            files,
            gvr_version,
            gowork,
            path: process.var_os("PATH"),
        })
    }

    /// The go.work the go command would use here: GOWORK=off → none; an absolute GOWORK
    /// that exists → it (symlinks resolved); empty/`auto` → the nearest go.work. A
    /// relative or missing GOWORK yields none (the go command reports it itself).
    ///
    /// The tool gets no GOWORK from gvr: go, started in this directory with the same
    /// environment and env file, finds this same file (see `Toolchain::env`).
    pub fn go_work(&self) -> Option<PathBuf> {
        match self.gowork.as_deref() {
            None => self.files.go_work.clone(),
            Some(v) if v.is_empty() || v == OsStr::new("auto") => self.files.go_work.clone(),
            Some(v) if v == OsStr::new("off") => None,
            // Resolved here, once: the workspace root and its cache id come from it.
            Some(v) => Some(Path::new(v))
                .filter(|p| p.is_absolute())
                .and_then(|p| self.process.canonicalize(p).ok())
                .filter(|p| self.process.is_file(p)),
        }
    }

    /// The file whose `go` / `toolchain` lines the go command honours: go.work, else go.mod.
    pub fn go_requirements_file(&self) -> Option<PathBuf> {
        self.go_work().or_else(|| self.files.go_mod.clone())
    }
}

/// Which kind of file pinned a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKind {
    GoVersion,
    ToolVersions,
}

/// The nearest file that pins a Go version, with the version text it holds (not yet
/// resolved: it may be a prefix, `latest` or `system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFile {
    pub kind: PinKind,
    pub path: PathBuf,
    /// The version as written (`go` prefix removed), `None` if the file names none.
    pub text: Option<String>,
}

/// A file the walk found but could not read (named, so the error points at it rather
/// than at the directory the walk started from), or the current directory itself.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}", path.display())]
pub struct UnreadableFile {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn read_pin(p: &dyn Process, path: &Path) -> Result<String, UnreadableFile> {
    p.read_small(path).map_err(|source| UnreadableFile {
        path: path.to_path_buf(),
        source,
    })
}

/// What one walk up from a directory found: the nearest pin file and the nearest
/// go.work and go.mod (regardless of GOWORK; callers apply it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFiles {
    pub pin: Option<PinFile>,
    pub go_work: Option<PathBuf>,
    pub go_mod: Option<PathBuf>,
}

impl ProjectFiles {
    /// Walks from `dir` up to the filesystem root. A `.tool-versions` without a Go line
    /// does not stop the search for a pin (asdf's rule); an empty `.go-version` does,
    /// so that it is reported instead of silently skipped.
    pub fn scan(p: &dyn Process, dir: &Path) -> Result<ProjectFiles, UnreadableFile> {
        let mut found = ProjectFiles::default();
        for d in dir.ancestors() {
            if found.pin.is_none() {
                found.pin = pin_in(p, d)?;
            }
            if found.go_work.is_none() {
                found.go_work = regular_file(p, d.join(GO_WORK_FILE));
            }
            if found.go_mod.is_none() {
                found.go_mod = regular_file(p, d.join(GO_MOD_FILE));
            }
            if found.pin.is_some() && found.go_work.is_some() && found.go_mod.is_some() {
                break;
            }
        }
        Ok(found)
    }
}

/// The pin file in exactly `dir`, if any: `.go-version` wins over `.tool-versions`.
pub fn pin_in(p: &dyn Process, dir: &Path) -> Result<Option<PinFile>, UnreadableFile> {
    if let Some(path) = regular_file(p, dir.join(GO_VERSION_FILE)) {
        let text = read_pin(p, &path)?;
        return Ok(Some(PinFile {
            kind: PinKind::GoVersion,
            text: parse_go_version(&text),
            path,
        }));
    }
    if let Some(path) = regular_file(p, dir.join(TOOL_VERSIONS_FILE)) {
        let text = read_pin(p, &path)?;
        if let Some(v) = parse_tool_versions(&text) {
            return Ok(Some(PinFile {
                kind: PinKind::ToolVersions,
                text: Some(v),
                path,
            }));
        }
    }
    Ok(None)
}

fn regular_file(p: &dyn Process, path: PathBuf) -> Option<PathBuf> {
    // Symlinks are followed: a symlinked .go-version counts, a directory does not.
    p.is_file(&path).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_nearest_of_each_and_go_version_wins_in_one_dir() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path();
        let sub = top.join("a/b/c");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(top.join("go.work"), "go 1.22\n").unwrap();
        std::fs::write(top.join("a/go.mod"), "module a\n").unwrap();
        std::fs::write(top.join("a/.tool-versions"), "golang 1.21.13\n").unwrap();
        std::fs::write(top.join("a/.go-version"), "1.22.10\n").unwrap();
        std::fs::write(top.join("a/b/.tool-versions"), "nodejs 20\n").unwrap();
        let f = ProjectFiles::scan(&OsProcess, &sub).unwrap();
        let pin = f.pin.unwrap();
        assert_eq!(pin.kind, PinKind::GoVersion);
        assert_eq!(pin.path, top.join("a/.go-version"));
        assert_eq!(pin.text.as_deref(), Some("1.22.10"));
        assert_eq!(f.go_work, Some(top.join("go.work")));
        assert_eq!(f.go_mod, Some(top.join("a/go.mod")));

        std::fs::remove_file(top.join("a/.go-version")).unwrap();
        let pin = ProjectFiles::scan(&OsProcess, &sub).unwrap().pin.unwrap();
        assert_eq!(pin.kind, PinKind::ToolVersions);
        assert_eq!(pin.text.as_deref(), Some("1.21.13"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn an_unreadable_pin_is_named_in_the_error() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        // Root reads any file, so use one whose read fails for everyone: /proc/self/mem
        // is a regular file that gives EIO at offset 0.
        let pin = t.path().join("a").join(TOOL_VERSIONS_FILE);
        std::os::unix::fs::symlink("/proc/self/mem", &pin).unwrap();
        let err = ProjectFiles::scan(&OsProcess, &sub).unwrap_err();
        assert_eq!(err.path, pin);
    }

    #[test]
    fn a_directory_named_like_a_pin_is_not_a_pin() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(".go-version")).unwrap();
        assert_eq!(pin_in(&OsProcess, t.path()).unwrap(), None);
    }
}

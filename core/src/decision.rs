//! Recorded shim decisions: what `gvr-shim` decided for a tool in a directory, with
//! every input that decision depended on, so the freestanding `gvr-shim-fast` can
//! replay it without the C library or any selection logic of its own.
//!
//! A record is `$GVR_HOME/shims/.decisions/<key>` ([`GvrHome::decisions_dir`]), text lines:
//!
//! ```text
//! gvr-shim-decision 1
//! expires <unix seconds>            replayed only before this (so the full shim still
//!                                   runs now and then, e.g. to mark the GOCACHE used)
//! tool <go|gofmt|gopls>
//! cwd <directory>
//! env+ NAME=value | env- NAME       every variable selection reads, as it was
//! file <signature> <path>           every file selection could have read, as it was
//! exec <program>
//! set NAME=value | unset NAME       the environment changes, applied to the caller's
//! end                               the record is complete
//! ```
//!
//! The fast shim replays a record only if every `env` and `file` line still holds;
//! anything else hands over to the full shim, which decides and records again. A
//! superset of inputs costs a few stats; a missing input would be a stale answer, so
//! [`INPUT_ENV`] is checked against the sources by a test. A file that changed while
//! the full shim was deciding (or so recently that coarse file times cannot tell two
//! writes apart) makes no record: git's "racy index" rule.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::fsutil::write_atomic_cache;
use crate::home::GvrHome;
use crate::toolchain::{EnvValue, EnvVar};

/// The first line; the fast shim replays only the format it knows.
pub const FORMAT: &str = "gvr-shim-decision 1";
/// How long a record is replayed before the full shim runs again.
pub const LIFETIME: Duration = Duration::from_secs(3600);
/// Files changed less than this before the decision started are too fresh to vouch
/// for (coarse kernel clocks tick every few milliseconds).
pub const RACY: Duration = Duration::from_millis(50);

/// Every environment variable the full shim's decision can depend on (selection,
/// workspace, toolchain env, gopls pin, and where `dirs` finds the user's directories).
pub const INPUT_ENV: &[&str] = &[
    "GVR_HOME",
    "GVR_CACHE_DIR",
    "GVR_VERSION",
    "GVR_GOCACHE",
    "GVR_GOPLS_VERSION",
    "GVR_AUTO_INSTALL",
    "GVR_SHIM_DEPTH",
    "GVR_SET",
    "GOWORK",
    "GOCACHE",
    "GOTOOLCHAIN",
    "GOENV",
    "GOROOT",
    "PATH",
    "HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
];

/// Names a pin, workspace or go.mod rule may read in each directory up to the root.
const PER_DIRECTORY: [&str; 5] = [
    ".go-version",
    ".tool-versions",
    "go.work",
    "go.mod",
    ".gopls-version",
];

/// The record's file name for `tool` run in `cwd` (FNV-1a, as the fast shim computes it).
pub fn key(tool: &str, cwd: &Path) -> String {
    let bytes = tool
        .as_bytes()
        .iter()
        .chain(&[0u8])
        .chain(cwd.as_os_str().as_bytes());
    format!("{:016x}", crate::toolchain::fnv1a(bytes))
}

/// `-` for a missing file, else inode, size, mtime and ctime to the nanosecond: a
/// rewrite, a replacement or a touch all change it.
pub fn signature(path: &Path) -> Option<String> {
    Some(signed(path)?.0)
}

/// The signature and, for an existing file, its ctime (the latest of its changes).
fn signed(path: &Path) -> Option<(String, Option<SystemTime>)> {
    match std::fs::metadata(path) {
        Ok(m) => {
            let ctime = SystemTime::UNIX_EPOCH
                + Duration::new(
                    u64::try_from(m.ctime()).ok()?,
                    u32::try_from(m.ctime_nsec()).ok()?,
                );
            Some((
                format!(
                    "{}:{}:{}.{}:{}.{}",
                    m.ino(),
                    m.size(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ctime(),
                    m.ctime_nsec()
                ),
                Some(ctime),
            ))
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Some(("-".to_string(), None))
        }
        // Unknowable now, so nothing to promise later: no record.
        Err(_) => None,
    }
}

/// What the full shim decided, to be recorded.
pub struct Decision<'a> {
    /// When the full shim started reading its inputs.
    pub started: SystemTime,
    pub tool: &'a str,
    pub cwd: &'a Path,
    pub program: &'a Path,
    pub vars: &'a [EnvVar],
}

/// Writes the record for `decision` (best effort: the caller execs either way).
/// `current` reads the environment.
pub fn record(
    home: &GvrHome,
    decision: &Decision,
    current: impl Fn(&str) -> Option<OsString>,
) -> io::Result<()> {
    let Some(text) = render(home, decision, &current) else {
        return Ok(());
    };
    let path = home.decisions_dir().join(key(decision.tool, decision.cwd));
    write_atomic_cache(&path, text.as_bytes())
}

fn render(
    home: &GvrHome,
    d: &Decision,
    current: &impl Fn(&str) -> Option<OsString>,
) -> Option<String> {
    let expires = (SystemTime::now() + LIFETIME)
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let mut out = format!(
        "{FORMAT}\nexpires {expires}\ntool {}\ncwd {}\n",
        d.tool,
        line(d.cwd.as_os_str())?
    );
    for name in INPUT_ENV {
        match current(name) {
            Some(v) => out.push_str(&format!("env+ {name}={}\n", line(&v)?)),
            None => out.push_str(&format!("env- {name}\n")),
        }
    }
    let fresh_after = d.started.checked_sub(RACY)?;
    for file in evidence(home, d, current) {
        let (sig, ctime) = signed(&file)?;
        if ctime.is_some_and(|t| t >= fresh_after) {
            return None; // changed while (or just before) deciding
        }
        out.push_str(&format!("file {sig} {}\n", line(file.as_os_str())?));
    }
    out.push_str(&format!("exec {}\n", line(d.program.as_os_str())?));
    for var in d.vars {
        match &var.value {
            EnvValue::Set(v) => out.push_str(&format!("set {}={}\n", var.name, line(v)?)),
            EnvValue::Unset => out.push_str(&format!("unset {}\n", var.name)),
            EnvValue::Kept(_) | EnvValue::Untouched => {}
        }
    }
    out.push_str("end\n");
    Some(out)
}

/// Every file the decision could have read: the per-directory pins and module files
/// up to the root, gvr's own state, the user's `go env -w` file and GOWORK, and the
/// program and its directories up to the home. Not the shim binaries: `gvr rehash`
/// (which install.sh runs after an upgrade) clears every record, and a hard link to
/// them anywhere changes their ctime.
fn evidence(
    home: &GvrHome,
    d: &Decision,
    current: &impl Fn(&str) -> Option<OsString>,
) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = d
        .cwd
        .ancestors()
        .flat_map(|dir| PER_DIRECTORY.iter().map(move |name| dir.join(name)))
        .collect();
    files.push(home.global_version_file());
    files.push(home.versions_dir());
    files.push(home.gopls_dir());
    files.extend(crate::toolchain::go_env_path(current));
    if let Some(gowork) = current("GOWORK")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        files.push(gowork);
    }
    files.extend(
        d.program
            .ancestors()
            .take_while(|p| p.starts_with(home.root()) && *p != home.root())
            .map(Path::to_path_buf),
    );
    files
}

/// A value as one record line: `None` (no record) if it holds a newline or NUL.
fn line(v: &OsStr) -> Option<&str> {
    let s = v.to_str()?;
    (!s.contains(['\n', '\0'])).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_fnv1a_of_tool_nul_cwd() {
        // FNV-1a 64 of "go\0/" computed independently.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in b"go\0/" {
            h = (h ^ *b as u64).wrapping_mul(0x100000001b3);
        }
        assert_eq!(key("go", Path::new("/")), format!("{h:016x}"));
        assert_ne!(key("go", Path::new("/a")), key("gofmt", Path::new("/a")));
    }

    #[test]
    fn signature_changes_with_content_and_absence() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".go-version");
        assert_eq!(signature(&f).as_deref(), Some("-"));
        std::fs::write(&f, "1.21.13\n").unwrap();
        let a = signature(&f).unwrap();
        std::fs::write(&f, "1.22.10\n").unwrap();
        assert_ne!(signature(&f).unwrap(), a);
        assert_eq!(
            signature(&f.join("x")).as_deref(),
            Some("-"),
            "ENOTDIR counts as missing"
        );
    }

    #[test]
    fn values_with_newlines_make_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let home = GvrHome::at(dir.path().join("gvr"), dir.path().join("cache"));
        let d = Decision {
            started: SystemTime::now() + Duration::from_secs(1),
            tool: "go",
            cwd: dir.path(),
            program: Path::new("/bin/true"),
            vars: &[],
        };
        let env = |k: &str| (k == "GOWORK").then(|| OsString::from("/a\nb"));
        assert!(render(&home, &d, &env).is_none());
        let env = |_: &str| None;
        let text = render(&home, &d, &env).unwrap();
        assert!(text.starts_with("gvr-shim-decision 1\nexpires "));
        assert!(text.contains("\nenv- GVR_VERSION\n"));
        assert!(text.contains(&format!(
            "\nfile - {}\n",
            dir.path().join(".go-version").display()
        )));
        assert!(text.ends_with("exec /bin/true\nend\n"));
    }

    #[test]
    fn a_file_changed_while_deciding_makes_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let home = GvrHome::at(dir.path().join("gvr"), dir.path().join("cache"));
        let started = SystemTime::now();
        std::fs::write(dir.path().join(".go-version"), "1.22.10\n").unwrap();
        let d = Decision {
            started,
            tool: "go",
            cwd: dir.path(),
            program: Path::new("/bin/true"),
            vars: &[],
        };
        let env = |_: &str| None;
        assert!(render(&home, &d, &env).is_none());
        let later = Decision {
            started: SystemTime::now() + RACY,
            ..d
        };
        assert!(render(&home, &later, &env).is_some());
    }

    /// Every variable the lean core reads by name must be an input of the record;
    /// otherwise the fast shim could replay a decision that variable would change.
    #[test]
    fn every_variable_the_shim_reads_is_an_input() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources: Vec<PathBuf> = [
            "src/select.rs",
            "src/workspace.rs",
            "src/toolchain.rs",
            "src/home.rs",
            "src/exec.rs",
        ]
        .iter()
        .map(|p| root.join(p))
        .collect();
        for dir in [
            "src/select",
            "src/toolchain",
            "src/gopls",
            "../shims/gvr-shim/src",
        ] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                sources.push(e.unwrap().path());
            }
        }
        let consts = [
            ("SHIM_DEPTH_VAR", "GVR_SHIM_DEPTH"),
            ("PIN_ENV", "GVR_GOPLS_VERSION"),
        ];
        let readers = [
            "var_os(\"",
            "var(\"",
            "current(\"",
            "user(\"",
            "getenv(\"",
            "env(\"",
            "env_path(\"",
        ];
        for src in sources
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        {
            let text = std::fs::read_to_string(src).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for reader in readers {
                for piece in code.split(reader).skip(1) {
                    let name: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    if name.is_empty() || !piece[name.len()..].starts_with('"') {
                        continue;
                    }
                    assert!(
                        INPUT_ENV.contains(&name.as_str()),
                        "{} reads {name}, which INPUT_ENV lacks",
                        src.display()
                    );
                }
            }
        }
        for (_, var) in consts {
            assert!(INPUT_ENV.contains(&var));
        }
    }
}

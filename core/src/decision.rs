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
//! env+ NAME=value | env- NAME       every variable the decision read, as it was
//! file <signature> <path>           every path the decision stat'ed, read or listed
//! exec <program>
//! set NAME=value | unset NAME       the environment changes, applied to the caller's
//! end                               the record is complete
//! ```
//!
//! The inputs are not listed anywhere: the full shim decides through a
//! [`Recorder`](crate::process::Recorder), and whatever it read is what the record
//! lists (a read that bypassed the process context would be a stale answer waiting to
//! happen; clippy's `disallowed-methods` rules that out in the core). The decision is
//! a function of those reads, so while they all read the same, it is the same.
//!
//! The fast shim replays a record only if every `env` and `file` line still holds;
//! anything else hands over to the full shim, which decides and records again. A file
//! that changed while the full shim was deciding (or so recently that coarse file
//! times cannot tell two writes apart) makes no record: git's "racy index" rule.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::env_var::{EnvValue, EnvVar};
use crate::fsutil::write_atomic_cache;
use crate::home::GvrHome;
use crate::process::Inputs;

/// The first line; the fast shim replays only the format it knows.
pub const FORMAT: &str = "gvr-shim-decision 1";
/// How long a record is replayed before the full shim runs again.
pub const LIFETIME: Duration = Duration::from_secs(3600);
/// Files changed less than this before the decision started are too fresh to vouch
/// for (coarse kernel clocks tick every few milliseconds).
pub const RACY: Duration = Duration::from_millis(50);

/// The record's file name for `tool` run in `cwd` (FNV-1a, as the fast shim computes it).
pub fn key(tool: &str, cwd: &Path) -> String {
    let bytes = tool
        .as_bytes()
        .iter()
        .chain(&[0u8])
        .chain(cwd.as_os_str().as_bytes());
    format!("{:016x}", crate::fnv::fnv1a(bytes))
}

/// `-` for a missing file, else inode, size, mtime and ctime to the nanosecond: a
/// rewrite, a replacement or a touch all change it.
pub fn signature(path: &Path) -> Option<String> {
    Some(signed(path)?.0)
}

/// The signature and, for an existing file, its ctime (the latest of its changes).
// A direct stat: the signature is what the fast shim will compare, not an input.
#[allow(clippy::disallowed_methods)]
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
    /// Everything the decision read (its [`Recorder`](crate::process::Recorder)'s).
    pub inputs: &'a Inputs,
    pub program: &'a Path,
    pub vars: &'a [EnvVar],
}

/// Writes the record for `decision` (best effort: the caller execs either way).
pub fn record(home: &GvrHome, decision: &Decision) -> io::Result<()> {
    let Some(text) = render(decision) else {
        return Ok(());
    };
    let path = home.decisions_dir().join(key(decision.tool, decision.cwd));
    write_atomic_cache(&path, text.as_bytes())
}

/// The record's text, or `None` when no record may be made (a value that does not
/// fit on a line, an input that cannot be signed or changed too recently).
fn render(d: &Decision) -> Option<String> {
    let expires = (SystemTime::now() + LIFETIME)
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let mut out = format!(
        "{FORMAT}\nexpires {expires}\ntool {}\ncwd {}\n",
        d.tool,
        line(d.cwd.as_os_str())?
    );
    for (name, value) in &d.inputs.env {
        match value {
            Some(v) => out.push_str(&format!("env+ {name}={}\n", line(v)?)),
            None => out.push_str(&format!("env- {name}\n")),
        }
    }
    let fresh_after = d.started.checked_sub(RACY)?;
    for file in &d.inputs.paths {
        let (sig, ctime) = signed(file)?;
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

/// A value as one record line: `None` (no record) if it holds a newline or NUL.
fn line(v: &OsStr) -> Option<&str> {
    let s = v.to_str()?;
    (!s.contains(['\n', '\0'])).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{Process, Recorder, TestEnv};

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

    /// Reads `cwd`'s `.go-version` and `env` through a recorder, as a decision would.
    fn inputs_of(env: &[(&str, &str)], cwd: &Path) -> Inputs {
        let env = TestEnv::of(env);
        let rec = Recorder::new(&env);
        let _ = rec.var_os("GOWORK");
        let _ = rec.read_small(&cwd.join(".go-version"));
        rec.inputs()
    }

    fn decision<'a>(started: SystemTime, cwd: &'a Path, inputs: &'a Inputs) -> Decision<'a> {
        Decision {
            started,
            tool: "go",
            cwd,
            inputs,
            program: Path::new("/bin/true"),
            vars: &[],
        }
    }

    #[test]
    fn values_with_newlines_make_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let later = SystemTime::now() + Duration::from_secs(1);
        let inputs = inputs_of(&[("GOWORK", "/a\nb")], dir.path());
        assert!(render(&decision(later, dir.path(), &inputs)).is_none());
        let inputs = inputs_of(&[], dir.path());
        let text = render(&decision(later, dir.path(), &inputs)).unwrap();
        assert!(text.starts_with("gvr-shim-decision 1\nexpires "));
        assert!(text.contains("\nenv- GOWORK\n"));
        assert!(text.contains(&format!(
            "\nfile - {}\n",
            dir.path().join(".go-version").display()
        )));
        assert!(text.ends_with("exec /bin/true\nend\n"));
    }

    #[test]
    fn a_file_changed_while_deciding_makes_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let started = SystemTime::now();
        std::fs::write(dir.path().join(".go-version"), "1.22.10\n").unwrap();
        let inputs = inputs_of(&[], dir.path());
        assert!(render(&decision(started, dir.path(), &inputs)).is_none());
        let later = SystemTime::now() + RACY;
        assert!(render(&decision(later, dir.path(), &inputs)).is_some());
    }

    /// A decision step added later (here a fixture: a new variable and a new settings
    /// file) is recorded without any list to update: the record lists what was read.
    #[test]
    fn a_new_read_is_recorded_without_touching_any_list() {
        fn new_step(p: &dyn Process, dir: &Path) -> bool {
            p.var_os("GVR_SOME_NEW_SETTING").is_some() || p.is_file(&dir.join("gvr.toml"))
        }
        let dir = tempfile::tempdir().unwrap();
        let env = TestEnv::of(&[("GVR_SOME_NEW_SETTING", "on")]);
        let rec = Recorder::new(&env);
        assert!(new_step(&rec, dir.path()));
        let later = SystemTime::now() + Duration::from_secs(1);
        let inputs = rec.inputs();
        let text = render(&decision(later, dir.path(), &inputs)).unwrap();
        assert!(text.contains("\nenv+ GVR_SOME_NEW_SETTING=on\n"), "{text}");
        // Short-circuited: the file was not read, so it is not an input.
        assert!(!text.contains("gvr.toml"), "{text}");

        let env = TestEnv::default();
        let rec = Recorder::new(&env);
        assert!(!new_step(&rec, dir.path()));
        let inputs = rec.inputs();
        let text = render(&decision(later, dir.path(), &inputs)).unwrap();
        assert!(text.contains("\nenv- GVR_SOME_NEW_SETTING\n"), "{text}");
        assert!(
            text.contains(&format!(
                "\nfile - {}\n",
                dir.path().join("gvr.toml").display()
            )),
            "{text}"
        );
    }
}

//! Recorded shim decisions: what `gvr-shim` decided for a tool in a directory, with
//! every input that decision depended on, so the freestanding `gvr-shim-fast` can
//! replay it without the C library or any selection logic of its own.
//!
//! A record is `$GVR_HOME/shims/.decisions/<key>` ([`GvrHome::decisions_dir`]), text lines:
//!
//! ```text
//! gvr-shim-decision 2
//! expires <unix seconds>            replayed only before this (so the full shim still
//!                                   runs now and then, e.g. to mark the GOCACHE used)
//! tool <go|gofmt|gopls>
//! cwd <directory>
//! env+ NAME=value | env- NAME       every variable the decision read, as it was
//! file <signature> <path>           every path the decision stat'ed, read or listed
//! shim <identity> <path>            the full shim that decided (see below)
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
//! times cannot tell two writes apart) makes no record: git's "racy index" rule. A time
//! with zero nanoseconds is taken as coarse (vfat, some NFS/FUSE mounts, ext4 with
//! small inodes keep whole seconds, vfat two), and widens "recently" to [`COARSE`].
//!
//! The `shim` line names the full shim that decided (`<shims>/.full/<tool>`) with the
//! running binary's inode, size and mtime: when `gvr rehash` replaces it, a record the
//! old one writes late (it was already running) no longer holds. Its ctime is left out:
//! every rehash links the same binary again, which changes the ctime, not the binary.
//!
//! Records are written `0644` whatever the umask: the fast shim replays only a record
//! owned by its user and writable by nobody else, whose `exec` lies under gvr's home.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::env_var::{EnvValue, EnvVar};
use crate::fsutil::write_atomic_cache_mode;
use crate::home::GvrHome;
use crate::process::Inputs;

/// The first line; the fast shim replays only the format it knows.
pub const FORMAT: &str = "gvr-shim-decision 2";
/// How long a record is replayed before the full shim runs again.
pub const LIFETIME: Duration = Duration::from_secs(3600);
/// Files changed less than this before the decision started are too fresh to vouch
/// for (coarse kernel clocks tick every few milliseconds).
pub const RACY: Duration = Duration::from_millis(50);
/// The same for a file whose times have whole seconds only: two writes within the
/// filesystem's granularity (up to two seconds) can leave the same signature.
pub const COARSE: Duration = Duration::from_secs(2);

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
    Some(signed(path)?.signature)
}

/// A signed file: its signature and, when it exists, the last time it changed.
struct Signed {
    signature: String,
    changed: Option<Changed>,
}

/// When a file last changed (its ctime), and whether its times look coarse.
#[derive(Debug, Clone, Copy)]
struct Changed {
    at: SystemTime,
    coarse: bool,
}

impl Changed {
    /// Whether a change now could leave the same signature as this one: it happened
    /// within the filesystem's time granularity before `started`.
    fn is_racy(&self, started: SystemTime) -> bool {
        let window = if self.coarse { COARSE } else { RACY };
        started
            .checked_sub(window)
            .is_none_or(|fresh_after| self.at >= fresh_after)
    }
}

/// `<ino>:<size>:<mtime s>.<ns>`: which binary a full shim is.
pub fn identity(m: &std::fs::Metadata) -> String {
    format!("{}:{}:{}.{}", m.ino(), m.size(), m.mtime(), m.mtime_nsec())
}

/// The signature of a file with metadata `m`.
fn signature_of(m: &std::fs::Metadata) -> Option<Signed> {
    let at = SystemTime::UNIX_EPOCH
        + Duration::new(
            u64::try_from(m.ctime()).ok()?,
            u32::try_from(m.ctime_nsec()).ok()?,
        );
    Some(Signed {
        signature: format!(
            "{}:{}:{}.{}:{}.{}",
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ),
        changed: Some(Changed {
            at,
            coarse: m.mtime_nsec() == 0 || m.ctime_nsec() == 0,
        }),
    })
}

// A direct stat: the signature is what the fast shim will compare, not an input.
#[allow(clippy::disallowed_methods)]
fn signed(path: &Path) -> Option<Signed> {
    match std::fs::metadata(path) {
        Ok(m) => signature_of(&m),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Some(Signed {
                signature: "-".to_string(),
                changed: None,
            })
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
    /// The full shim that decided: its path (`<shims>/.full/<tool>`) and the metadata
    /// of the running binary (which a rehash may already have replaced at that path).
    pub decided_by: (&'a Path, &'a std::fs::Metadata),
}

/// Writes the record for `decision` (best effort: the caller execs either way).
pub fn record(home: &GvrHome, decision: &Decision) -> io::Result<()> {
    let Some(text) = render(decision) else {
        return Ok(());
    };
    let path = home.decisions_dir().join(key(decision.tool, decision.cwd));
    write_atomic_cache_mode(&path, text.as_bytes(), 0o644)
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
    for file in &d.inputs.paths {
        let signed = signed(file)?;
        if signed.changed.is_some_and(|c| c.is_racy(d.started)) {
            return None; // changed while (or just before) deciding
        }
        out.push_str(&format!(
            "file {} {}\n",
            signed.signature,
            line(file.as_os_str())?
        ));
    }
    let (shim, me) = d.decided_by;
    out.push_str(&format!(
        "shim {} {}\n",
        identity(me),
        line(shim.as_os_str())?
    ));
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
    use std::path::PathBuf;

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

    /// An old file standing in for the full shim that decided.
    fn shim() -> &'static (PathBuf, std::fs::Metadata) {
        static SHIM: std::sync::OnceLock<(PathBuf, std::fs::Metadata)> = std::sync::OnceLock::new();
        SHIM.get_or_init(|| {
            let p = PathBuf::from("/bin/sh");
            let m = std::fs::metadata(&p).unwrap();
            (p, m)
        })
    }

    fn decision<'a>(started: SystemTime, cwd: &'a Path, inputs: &'a Inputs) -> Decision<'a> {
        let (path, meta) = shim();
        Decision {
            started,
            tool: "go",
            cwd,
            inputs,
            program: Path::new("/bin/true"),
            vars: &[],
            decided_by: (path, meta),
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
        assert!(text.starts_with("gvr-shim-decision 2\nexpires "));
        assert!(text.contains("\nenv- GOWORK\n"));
        assert!(text.contains(&format!(
            "\nfile - {}\n",
            dir.path().join(".go-version").display()
        )));
        assert!(text.ends_with("exec /bin/true\nend\n"));
        // The full shim that decided, by the running binary's identity.
        let sh = std::fs::metadata("/bin/sh").unwrap();
        let shim_line = format!("\nshim {} /bin/sh\nexec ", identity(&sh));
        assert!(text.contains(&shim_line), "{text}");
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

    /// A time with whole seconds only may hide a second write in the same second: such
    /// a file is racy for two seconds, a finer one for [`RACY`].
    #[test]
    fn coarse_times_widen_the_racy_window() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let fine = Changed {
            at: t,
            coarse: false,
        };
        let coarse = Changed {
            at: t,
            coarse: true,
        };
        let after = |ms| t + Duration::from_millis(ms);
        assert!(fine.is_racy(after(10)));
        assert!(!fine.is_racy(after(60)));
        assert!(coarse.is_racy(after(60)));
        assert!(coarse.is_racy(after(1999)));
        assert!(!coarse.is_racy(after(2001)));
        // Whole-second times are taken as coarse.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pin");
        std::fs::write(&f, "1.22.10\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(t)
            .unwrap();
        let m = std::fs::metadata(&f).unwrap();
        assert!(signature_of(&m).unwrap().changed.unwrap().coarse);
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

//! The record format as the fast shim reads it: the pieces with no system calls, so
//! they are unit-tested (against `gvr_core::decision`, with std) on every platform while
//! the binary links none.
#![no_std]

#[cfg(test)]
extern crate std;

/// The record format version this binary understands (`gvr_core::decision::FORMAT`).
pub const HEADER: &[u8] = b"gvr-shim-decision 2";

/// The tools the fast path serves (`gvr_core::toolchain::SHIMMED_TOOLS`).
pub const TOOLS: [&[u8]; 3] = [b"go", b"gofmt", b"gopls"];

/// Where the full shims and the records live, in the shims dir
/// (`GvrHome::full_shims_dir`, `GvrHome::decisions_dir`).
pub const FULL_DIR: &[u8] = b".full";
pub const DECISIONS_DIR: &[u8] = b".decisions";

/// FNV-1a over `tool`, a NUL and `cwd`: the record's file name (`gvr_core::decision::key`).
pub fn key(tool: &[u8], cwd: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in tool.iter().chain(&[0u8]).chain(cwd) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The directory part of an absolute path: `/a/b/shims` → `/a/b` (`/x` → empty).
pub fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => &[],
    }
}

/// Whether a record may exec `program`: an absolute path below `home` (gvr's home, the
/// parent of the shims directory this binary runs from) with no empty, `.` or `..`
/// component, so no record, however it came to be, runs anything but gvr's own files.
pub fn runs_from_home(program: &[u8], home: &[u8]) -> bool {
    let Some(rest) = program.strip_prefix(home) else {
        return false;
    };
    home.first() == Some(&b'/')
        && rest.len() > 1
        && rest[0] == b'/'
        && rest[1..]
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
        && !home
            .split(|&b| b == b'/')
            .skip(1)
            .any(|c| c.is_empty() || c == b"." || c == b"..")
}

/// The `shim` line's identity of a file: `<ino>:<size>:<mtime s>.<ns>`
/// (`gvr_core::decision::identity`).
pub fn write_identity(w: &mut Writer, ino: u64, size: u64, mtime: (i64, u32)) {
    w.udec(ino);
    w.put(b":");
    w.udec(size);
    w.put(b":");
    w.dec(mtime.0);
    w.put(b".");
    w.dec(mtime.1 as i64);
}

pub fn split_once(s: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match s.iter().position(|&b| b == sep) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(n)
}

/// Appends to a fixed buffer, remembering whether anything did not fit.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pub len: usize,
    pub overflow: bool,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer {
            buf,
            len: 0,
            overflow: false,
        }
    }
    pub fn put(&mut self, s: &[u8]) {
        if self.len + s.len() > self.buf.len() {
            self.overflow = true;
            return;
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
    }
    pub fn dec(&mut self, v: i64) {
        if v < 0 {
            self.put(b"-");
        }
        self.udec(v.unsigned_abs());
    }
    pub fn udec(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }
    pub fn hex(&mut self, v: u64) {
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = b"0123456789abcdef"[((v >> (60 - 4 * i)) & 0xf) as usize];
        }
        self.put(&out);
    }
    /// NUL-terminates; false if the text did not fit.
    pub fn terminate(&mut self) -> bool {
        self.put(&[0]);
        !self.overflow
    }
    /// NUL-terminates and hands back the text as a C string: `None` if it did not fit
    /// or holds a NUL of its own.
    pub fn into_c_str(mut self) -> Option<&'a core::ffi::CStr> {
        if !self.terminate() {
            return None;
        }
        let text: &'a [u8] = self.buf;
        core::ffi::CStr::from_bytes_with_nul(&text[..self.len]).ok()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::path::Path;
    use std::{assert, assert_eq};

    #[test]
    fn speaks_the_format_gvr_writes() {
        assert_eq!(HEADER, gvr_core::decision::FORMAT.as_bytes());
        for (tool, cwd) in [
            ("go", "/"),
            ("gofmt", "/home/u/proj/sub dir"),
            ("gopls", "/tmp/x\u{e9}"),
        ] {
            let mut buf = [0u8; 16];
            let mut w = Writer::new(&mut buf);
            w.hex(key(tool.as_bytes(), cwd.as_bytes()));
            assert_eq!(
                &buf[..],
                gvr_core::decision::key(tool, Path::new(cwd)).as_bytes(),
                "{tool} {cwd}"
            );
        }
    }

    #[test]
    fn names_the_same_files_and_tools_as_gvr() {
        let home = gvr_core::GvrHome::at("/h", "/c");
        let shims = home.shims_dir();
        let name = |p: std::path::PathBuf| {
            p.strip_prefix(&shims)
                .unwrap()
                .to_str()
                .unwrap()
                .as_bytes()
                .to_vec()
        };
        assert_eq!(name(home.full_shims_dir()), FULL_DIR);
        assert_eq!(name(home.decisions_dir()), DECISIONS_DIR);
        let tools: std::vec::Vec<&[u8]> = gvr_core::toolchain::SHIMMED_TOOLS
            .iter()
            .map(|t| t.as_bytes())
            .collect();
        assert_eq!(tools, TOOLS);
    }

    #[test]
    fn writer_formats_signatures_like_gvr() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.dec(10002481);
        w.put(b":");
        w.dec(-5);
        w.put(b":");
        w.dec(0);
        w.put(b":");
        w.udec(u64::MAX); // inodes above 2^63 exist (overlayfs xino, NFS)
        let n = w.len;
        assert_eq!(&buf[..n], b"10002481:-5:0:18446744073709551615");
        let mut small = [0u8; 2];
        let mut w = Writer::new(&mut small);
        w.put(b"abc");
        assert!(!w.terminate(), "overflow is reported");
    }

    #[test]
    fn records_run_only_files_under_gvrs_home() {
        let home = b"/home/u/.local/share/gvr";
        assert_eq!(parent(b"/home/u/.local/share/gvr/shims"), home);
        for ok in [
            &b"/home/u/.local/share/gvr/versions/1.22.10/bin/go"[..],
            b"/home/u/.local/share/gvr/gopls/v0.20.0-go1.24.11/gopls",
        ] {
            assert!(
                runs_from_home(ok, home),
                "{}",
                std::string::String::from_utf8_lossy(ok)
            );
        }
        for bad in [
            &b"/bin/sh"[..],
            b"end",
            b"",
            b"/home/u/.local/share/gvr",
            b"/home/u/.local/share/gvr/",
            b"/home/u/.local/share/gvrx/versions/go",
            b"/home/u/.local/share/gvr/../../../bin/sh",
            b"/home/u/.local/share/gvr/versions/./go",
            b"/home/u/.local/share/gvr//bin/sh",
        ] {
            assert!(
                !runs_from_home(bad, home),
                "{}",
                std::string::String::from_utf8_lossy(bad)
            );
        }
        assert!(!runs_from_home(b"/x/go", b""));
        assert!(!runs_from_home(b"/a/../b/go", b"/a/../b"));
    }

    #[test]
    fn identity_is_what_gvr_writes() {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata("/bin/sh").unwrap();
        let mut buf = [0u8; 96];
        let mut w = Writer::new(&mut buf);
        write_identity(
            &mut w,
            m.ino(),
            m.size(),
            (m.mtime(), m.mtime_nsec() as u32),
        );
        let n = w.len;
        assert_eq!(&buf[..n], gvr_core::decision::identity(&m).as_bytes());
    }

    #[test]
    fn parses_and_splits() {
        assert_eq!(parse_u64(b"1795664101"), Some(1795664101));
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12x"), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
        assert_eq!(
            split_once(b"env+ A=b=c", b' '),
            (&b"env+"[..], &b"A=b=c"[..])
        );
        assert_eq!(split_once(b"x", b' '), (&b"x"[..], &b""[..]));
    }
}

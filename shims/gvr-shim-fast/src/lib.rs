//! The record format as the fast shim reads it: the pieces with no system calls, so
//! they are unit-tested (against `gvr_core::decision`, with std) on every platform while
//! the binary links none.
#![no_std]

#[cfg(test)]
extern crate std;

/// The record format version this binary understands (`gvr_core::decision::FORMAT`).
pub const HEADER: &[u8] = b"gvr-shim-decision 1";

/// FNV-1a over `tool`, a NUL and `cwd`: the record's file name (`gvr_core::decision::key`).
pub fn key(tool: &[u8], cwd: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in tool.iter().chain(&[0u8]).chain(cwd) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
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

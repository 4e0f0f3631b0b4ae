//! The build information the Go linker embeds in every binary (what `go version -m`
//! prints): the Go that built it and its main module's path and version. Read without
//! running the binary, following the format of Go's `debug/buildinfo`:
//!
//! - a 32-byte header, 16-byte aligned, starting `\xff Go buildinf:`, then the pointer
//!   size and a flags byte;
//! - Go 1.18+ (flag bit 2): the Go version and the module info follow the header as two
//!   uvarint-length-prefixed strings;
//! - before: two pointers to Go string headers, resolved here through ELF sections.
//!
//! On ELF the header is looked for in the `.go.buildinfo` section (one small read);
//! otherwise, and for Mach-O and PE, the file is scanned.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const FLAG_BIG_ENDIAN: u8 = 1;
const FLAG_INLINE: u8 = 2;

/// What a Go binary says about how it was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.24.11`; `None` for a binary linked before Go 1.18 whose strings could not
    /// be resolved.
    pub go_version: Option<String>,
    /// The main package path (`golang.org/x/tools/gopls`).
    pub path: Option<String>,
    /// The main module and its version (`v0.20.0`, `(devel)`).
    pub main: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildInfoError {
    #[error("cannot read {}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is not a Go binary (it has no Go build information)", path.display())]
    NotGo { path: PathBuf },
}

/// Reads the build information of the Go binary at `path`.
pub fn read(path: &Path) -> Result<BuildInfo, BuildInfoError> {
    let io_err = |source| BuildInfoError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let elf = Elf::read(&mut file).map_err(io_err)?;
    if let Some(elf) = &elf {
        if let Some((off, size)) = elf.section(".go.buildinfo") {
            let buf = read_at(&mut file, off, size.min(64 * 1024) as usize).map_err(io_err)?;
            if let Some(at) = find_header(&buf, true) {
                return Ok(decode(&buf[at..], Some((elf, &mut file))));
            }
        }
    }
    // No section (other formats, or an old linker): scan the whole file.
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let mut data = Vec::new();
    file.read_to_end(&mut data).map_err(io_err)?;
    match find_header(&data, true).or_else(|| find_header(&data, false)) {
        Some(at) => Ok(decode(&data[at..], elf.as_ref().map(|e| (e, &mut file)))),
        None => Err(BuildInfoError::NotGo {
            path: path.to_path_buf(),
        }),
    }
}

/// The offset of a header in `buf`; `aligned` requires Go's 16-byte alignment.
fn find_header(buf: &[u8], aligned: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf[from..]
        .windows(MAGIC.len())
        .position(|w| w == MAGIC)
        .map(|i| i + from)
    {
        if (!aligned || i % 16 == 0) && buf.len() >= i + HEADER {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn decode(blob: &[u8], elf: Option<(&Elf, &mut File)>) -> BuildInfo {
    let ptr_size = blob[14] as usize;
    let flags = blob[15];
    let (vers, modinfo) = if flags & FLAG_INLINE != 0 {
        let mut rest = &blob[HEADER..];
        let vers = read_varint_string(&mut rest);
        let modinfo = read_varint_string(&mut rest);
        (vers, modinfo)
    } else {
        match elf {
            Some((elf, file)) if ptr_size == 4 || ptr_size == 8 => {
                let big = flags & FLAG_BIG_ENDIAN != 0;
                let ptr = |at: usize| read_uint(&blob[at..at + ptr_size], big);
                let vers = elf.read_go_string(file, ptr(16), ptr_size, big);
                let modinfo = elf.read_go_string(file, ptr(16 + ptr_size), ptr_size, big);
                (vers, modinfo)
            }
            _ => (None, None),
        }
    };
    let modinfo = modinfo.map(|m| strip_sentinels(&m).to_string());
    let mut info = BuildInfo {
        go_version: vers.filter(|v| v.starts_with("go")),
        path: None,
        main: None,
    };
    for line in modinfo.as_deref().unwrap_or("").lines() {
        let mut cols = line.split('\t');
        match (cols.next(), cols.next(), cols.next()) {
            (Some("path"), Some(p), _) => info.path = Some(p.to_string()),
            (Some("mod"), Some(p), Some(v)) => info.main = Some((p.to_string(), v.to_string())),
            _ => {}
        }
    }
    info
}

/// The linker wraps the module info in 16-byte sentinels.
fn strip_sentinels(m: &str) -> &str {
    let b = m.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        m.get(16..m.len() - 16).unwrap_or(m)
    } else {
        m
    }
}

fn read_varint_string(buf: &mut &[u8]) -> Option<String> {
    let mut n: u64 = 0;
    let mut shift = 0;
    let mut used: usize = 0;
    for &b in buf.iter() {
        used += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let n = usize::try_from(n).ok()?;
    let s = buf.get(used..used.checked_add(n)?)?;
    *buf = &buf[used + n..];
    Some(String::from_utf8_lossy(s).into_owned())
}

fn read_uint(b: &[u8], big: bool) -> u64 {
    let mut v = 0u64;
    if big {
        for &x in b {
            v = (v << 8) | u64::from(x);
        }
    } else {
        for &x in b.iter().rev() {
            v = (v << 8) | u64::from(x);
        }
    }
    v
}

fn read_at(file: &mut File, off: u64, len: usize) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(off))?;
    let mut buf = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The few parts of an ELF file this needs: its sections' names, addresses and offsets.
struct Elf {
    big: bool,
    /// (name, addr, offset, size)
    sections: Vec<(String, u64, u64, u64)>,
}

impl Elf {
    fn read(file: &mut File) -> io::Result<Option<Elf>> {
        let head = read_at(file, 0, 64)?;
        if head.len() < 52 || &head[..4] != b"\x7fELF" {
            return Ok(None);
        }
        let wide = head[4] == 2;
        let big = head[5] == 2;
        let u = |b: &[u8]| read_uint(b, big);
        let (shoff, shentsize, shnum, shstrndx) = if wide {
            if head.len() < 64 {
                return Ok(None);
            }
            (
                u(&head[0x28..0x30]),
                u(&head[0x3a..0x3c]),
                u(&head[0x3c..0x3e]),
                u(&head[0x3e..0x40]),
            )
        } else {
            (
                u(&head[0x20..0x24]),
                u(&head[0x2e..0x30]),
                u(&head[0x30..0x32]),
                u(&head[0x32..0x34]),
            )
        };
        if shnum == 0 || shnum > 4096 || shentsize < if wide { 64 } else { 40 } {
            return Ok(None);
        }
        let table = read_at(file, shoff, (shentsize * shnum) as usize)?;
        let mut raw = Vec::new();
        for i in 0..shnum as usize {
            let Some(s) = table.get(i * shentsize as usize..(i + 1) * shentsize as usize) else {
                return Ok(None);
            };
            let name = u(&s[0..4]);
            let (addr, off, size) = if wide {
                (u(&s[16..24]), u(&s[24..32]), u(&s[32..40]))
            } else {
                (u(&s[12..16]), u(&s[16..20]), u(&s[20..24]))
            };
            raw.push((name, addr, off, size));
        }
        let Some(&(_, _, str_off, str_size)) = raw.get(shstrndx as usize) else {
            return Ok(None);
        };
        let names = read_at(file, str_off, str_size.min(1 << 20) as usize)?;
        let sections = raw
            .into_iter()
            .map(|(n, addr, off, size)| {
                let name = names
                    .get(n as usize..)
                    .and_then(|s| s.split(|&b| b == 0).next())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .unwrap_or_default();
                (name, addr, off, size)
            })
            .collect();
        Ok(Some(Elf { big, sections }))
    }

    fn section(&self, name: &str) -> Option<(u64, u64)> {
        self.sections
            .iter()
            .find(|s| s.0 == name)
            .map(|s| (s.2, s.3))
    }

    /// The file bytes at virtual address `addr`.
    fn read_addr(&self, file: &mut File, addr: u64, len: usize) -> Option<Vec<u8>> {
        let (_, a, off, size) = self
            .sections
            .iter()
            .find(|(_, a, _, size)| *a != 0 && addr >= *a && addr < a + size)?;
        let within = addr - a;
        if within + len as u64 > *size {
            return None;
        }
        read_at(file, off + within, len).ok()
    }

    /// A Go string: a header {data pointer, length} at `addr`.
    fn read_go_string(&self, file: &mut File, addr: u64, ptr: usize, big: bool) -> Option<String> {
        let big = big || self.big;
        let hdr = self.read_addr(file, addr, 2 * ptr)?;
        let data = read_uint(&hdr[..ptr], big);
        let len = read_uint(&hdr[ptr..], big);
        if len > 1 << 20 {
            return None;
        }
        let bytes = self.read_addr(file, data, len as usize)?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Synthetic Go binaries for tests.
#[cfg(test)]
pub(crate) mod testdata {
    use super::*;

    fn varint(n: usize) -> Vec<u8> {
        let mut n = n as u64;
        let mut out = Vec::new();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    /// A Go 1.18+ blob: header, version, module info wrapped in sentinels.
    pub fn blob(vers: &str, modinfo: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend([8, FLAG_INLINE]);
        b.resize(HEADER, 0);
        b.extend(varint(vers.len()));
        b.extend(vers.as_bytes());
        let wrapped = format!("0123456789abcdef{modinfo}\nfedcba9876543210");
        b.extend(varint(wrapped.len()));
        b.extend(wrapped.as_bytes());
        b
    }

    /// A minimal 64-bit little-endian ELF: a null section, `.go.buildinfo` and the
    /// section name table.
    pub fn elf_with_section(payload: &[u8]) -> Vec<u8> {
        let names = b"\0.go.buildinfo\0.shstrtab\0";
        let payload_off = 0x100u64;
        let names_off = payload_off + payload.len() as u64;
        let shoff = (names_off + names.len() as u64 + 15) & !15;
        let mut f = vec![0u8; shoff as usize + 3 * 64];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        f[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        f[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        f[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
        f[payload_off as usize..names_off as usize].copy_from_slice(payload);
        f[names_off as usize..names_off as usize + names.len()].copy_from_slice(names);
        let mut sh = |i: usize, name: u32, off: u64, size: u64| {
            let s = shoff as usize + i * 64;
            f[s..s + 4].copy_from_slice(&name.to_le_bytes());
            f[s + 16..s + 24].copy_from_slice(&(0x40_0000 + off).to_le_bytes());
            f[s + 24..s + 32].copy_from_slice(&off.to_le_bytes());
            f[s + 32..s + 40].copy_from_slice(&size.to_le_bytes());
        };
        sh(1, 1, payload_off, payload.len() as u64);
        sh(2, 15, names_off, names.len() as u64);
        f
    }

    /// An ELF whose build info says `go` built `module` at `version`.
    pub fn go_binary(go: &str, module: &str, version: &str) -> Vec<u8> {
        let modinfo = format!("path\t{module}\nmod\t{module}\t{version}\th1:x=\n");
        elf_with_section(&blob(go, &modinfo))
    }
}

#[cfg(test)]
mod tests {
    use super::testdata::*;
    use super::*;

    const MODINFO: &str = "path\tgolang.org/x/tools/gopls\nmod\tgolang.org/x/tools/gopls\tv0.20.0\th1:abc=\ndep\tgolang.org/x/mod\tv0.26.0\th1:x=\nbuild\t-compiler=gc";

    fn expected() -> BuildInfo {
        BuildInfo {
            go_version: Some("go1.24.11".into()),
            path: Some("golang.org/x/tools/gopls".into()),
            main: Some(("golang.org/x/tools/gopls".into(), "v0.20.0".into())),
        }
    }

    #[test]
    fn scans_a_file_without_elf_sections() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("gopls");
        let mut data = vec![0u8; 1000];
        data.extend(b"\xff Go buildinf: decoy");
        data.resize(4096, 7);
        data.extend(blob("go1.24.11", MODINFO));
        data.extend([0u8; 100]);
        std::fs::write(&p, &data).unwrap();
        assert_eq!(read(&p).unwrap(), expected());
    }

    #[test]
    fn reads_the_elf_section() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("gopls");
        std::fs::write(&p, elf_with_section(&blob("go1.24.11", MODINFO))).unwrap();
        assert_eq!(read(&p).unwrap(), expected());
    }

    #[test]
    fn a_file_without_build_info_is_not_go() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("gopls");
        std::fs::write(&p, "#!/bin/sh\necho hi\n").unwrap();
        assert!(matches!(read(&p), Err(BuildInfoError::NotGo { .. })));
    }
}

//! Test archives written byte for byte as given, so malicious names, links and entry
//! types can be expressed. Self-contained: the integration tests use it through
//! `support`, and the unpacker's unit tests include this file by path.

use std::io::Write;

/// One tar/zip entry, written byte for byte as given (no path sanitising), so
/// malicious names can be expressed.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub name: String,
    pub kind: EntryKind,
    pub mode: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File,
    Symlink(String),
    Hardlink(String),
    Fifo,
    CharDevice(u32, u32),
}

impl RawEntry {
    pub fn file(name: &str, mode: u32, data: &[u8]) -> RawEntry {
        RawEntry {
            name: name.into(),
            kind: EntryKind::File,
            mode,
            data: data.to_vec(),
        }
    }
    pub fn dir(name: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            kind: EntryKind::Dir,
            mode: 0o755,
            data: Vec::new(),
        }
    }
    pub fn symlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            kind: EntryKind::Symlink(target.into()),
            mode: 0o777,
            data: Vec::new(),
        }
    }
    pub fn hardlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            kind: EntryKind::Hardlink(target.into()),
            mode: 0o644,
            data: Vec::new(),
        }
    }
    pub fn fifo(name: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            kind: EntryKind::Fifo,
            mode: 0o644,
            data: Vec::new(),
        }
    }
    pub fn char_device(name: &str) -> RawEntry {
        // 1,3 is /dev/null on Linux.
        RawEntry {
            name: name.into(),
            kind: EntryKind::CharDevice(1, 3),
            mode: 0o666,
            data: Vec::new(),
        }
    }
}

/// A gzip-compressed tar of `entries`, names written verbatim.
pub fn tar_gz(entries: &[RawEntry]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let name = e.name.as_bytes();
        assert!(name.len() <= 100, "fixture entry name too long: {}", e.name);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_mode(e.mode);
        h.set_mtime(1_722_902_400);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        match &e.kind {
            EntryKind::Dir => h.set_entry_type(tar::EntryType::Directory),
            EntryKind::File => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(e.data.len() as u64);
            }
            EntryKind::Symlink(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                raw_link_name(&mut h, t);
            }
            EntryKind::Hardlink(t) => {
                h.set_entry_type(tar::EntryType::Link);
                raw_link_name(&mut h, t);
            }
            EntryKind::Fifo => h.set_entry_type(tar::EntryType::Fifo),
            EntryKind::CharDevice(maj, min) => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_device_major(*maj).unwrap();
                h.set_device_minor(*min).unwrap();
            }
        }
        h.set_cksum();
        b.append(&h, &e.data[..]).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// A zip of `entries` with Unix modes, names written verbatim. Fifos and devices get
/// their type bits patched into the central directory (the zip writer stores only
/// permissions); hard links have no zip form and become plain files.
pub fn zip(entries: &[RawEntry]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut patches = Vec::new();
    for e in entries {
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(e.mode);
        match &e.kind {
            EntryKind::Dir => w.add_directory(e.name.clone(), opts).unwrap(),
            EntryKind::File | EntryKind::Hardlink(_) => {
                w.start_file(e.name.clone(), opts).unwrap();
                w.write_all(&e.data).unwrap();
            }
            EntryKind::Symlink(t) => w.add_symlink(e.name.clone(), t.clone(), opts).unwrap(),
            EntryKind::Fifo | EntryKind::CharDevice(..) => {
                w.start_file(e.name.clone(), opts).unwrap();
                let kind = if e.kind == EntryKind::Fifo {
                    0o010000
                } else {
                    0o020000
                };
                patches.push((e.name.clone(), kind | (e.mode & 0o7777)));
            }
        }
    }
    let mut bytes = w.finish().unwrap().into_inner();
    for (name, mode) in patches {
        patch_zip_mode(&mut bytes, &name, mode);
    }
    bytes
}

/// Sets the Unix mode (type bits included) of `name` in a zip's central directory.
fn patch_zip_mode(bytes: &mut [u8], name: &str, mode: u32) {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == *b"PK\x01\x02" {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            if &bytes[i + 46..i + 46 + n] == name.as_bytes() {
                bytes[i + 5] = 3; // made by Unix
                bytes[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
                return;
            }
        }
        i += 1;
    }
    panic!("{name} not in the zip's central directory");
}

/// The link target verbatim (the tar crate's setter would normalise it).
fn raw_link_name(h: &mut tar::Header, target: &str) {
    let raw = &mut h.as_old_mut().linkname;
    assert!(target.len() <= raw.len(), "link target too long: {target}");
    raw[..target.len()].copy_from_slice(target.as_bytes());
}

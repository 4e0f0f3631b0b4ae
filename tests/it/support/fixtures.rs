//! Fixture distributions built at test time: synthetic SDKs (from `sdk::write_sdk_tree`)
//! packed as go.dev packs them (`go<v>.<os>-<arch>.tar.gz` with top dir `go/`, or
//! `.zip`), an `index.json` in go.dev's exact schema, `<file>.sha256` sidecars (bare
//! hex), and hand-made malicious archives that a safe unpacker must refuse.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::sdk;

/// Go's name for the OS these tests run on.
pub fn host_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's name for the architecture these tests run on.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where an archive's checksum is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksums {
    /// In `index.json` and as a `.sha256` sidecar.
    Both,
    /// Only in `index.json` (no sidecar).
    IndexOnly,
    /// Only as a sidecar; the index (if any) lists `"sha256": ""`, as go.dev does for
    /// files it has no SHA-256 for.
    SidecarOnly,
    /// Nowhere.
    Neither,
}

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

/// Knobs for a synthetic SDK's contents.
#[derive(Debug, Clone, Default)]
pub struct SdkOptions {
    /// Incompressible bytes in `go/pkg/padding.bin`, to make downloads take a while.
    pub padding: usize,
    /// Mode bits to OR into `go/bin/go` (e.g. `0o4000` for setuid).
    pub go_extra_mode: u32,
    /// Mode bits to OR into `go/bin/gofmt`.
    pub gofmt_extra_mode: u32,
    /// Overrides the first line of `go/VERSION` (e.g. a lie).
    pub version_line: Option<String>,
}

/// The entries of a synthetic SDK for `version` (names under `go/`), directories first,
/// with the modes `write_sdk_tree` gave them.
pub fn sdk_entries(version: &str, os: &str, arch: &str, opts: &SdkOptions) -> Vec<RawEntry> {
    let tmp = TempDir::new().unwrap();
    let root = sdk::write_sdk_tree(tmp.path(), version, os, arch);
    if opts.padding > 0 {
        fs::write(
            root.join("pkg/padding.bin"),
            noise(opts.padding, version.len() as u64),
        )
        .unwrap();
    }
    if let Some(line) = &opts.version_line {
        fs::write(
            root.join("VERSION"),
            format!("{line}\ntime 2024-08-06T00:00:00Z\n"),
        )
        .unwrap();
    }
    let mut out = Vec::new();
    walk(tmp.path(), &root, &mut out);
    let exe = if os == "windows" { ".exe" } else { "" };
    for e in &mut out {
        if e.name == format!("go/bin/go{exe}") {
            e.mode |= opts.go_extra_mode;
        }
        if e.name == format!("go/bin/gofmt{exe}") {
            e.mode |= opts.gofmt_extra_mode;
        }
    }
    out
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<RawEntry>) {
    let rel = dir
        .strip_prefix(base)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    out.push(RawEntry::dir(&format!("{rel}/")));
    let mut children: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    children.sort();
    for p in children {
        let meta = fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            walk(base, &p, out);
        } else {
            let name = p.strip_prefix(base).unwrap().to_str().unwrap().to_string();
            out.push(RawEntry::file(
                &name,
                meta.permissions().mode() & 0o7777,
                &fs::read(&p).unwrap(),
            ));
        }
    }
}

/// Deterministic incompressible bytes (xorshift).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A gzip-compressed tar of `entries`, names written verbatim.
pub fn tar_gz(entries: &[RawEntry]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let name = e.name.as_bytes();
        assert!(name.len() < 100, "fixture entry name too long: {}", e.name);
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
                h.set_link_name(t).unwrap();
            }
            EntryKind::Hardlink(t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_link_name(t).unwrap();
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Zip,
}

/// One file to publish in a mirror.
#[derive(Debug, Clone)]
pub struct Dist {
    /// Without the `go` prefix, e.g. `1.22.6`.
    pub version: String,
    pub os: String,
    pub arch: String,
    pub kind: String,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub checksums: Checksums,
    /// Publish a checksum that does not match the bytes.
    pub wrong_checksum: bool,
    /// Serve the bytes (false: listed in the index only).
    pub present: bool,
}

impl Dist {
    /// A synthetic SDK for this machine as go.dev packs it: `.tar.gz`, top dir `go/`.
    pub fn sdk(version: &str) -> Dist {
        Dist::sdk_with(version, Format::TarGz, &SdkOptions::default())
    }

    /// A synthetic SDK for this machine packed as `.zip` (named `.zip`; gvr detects the
    /// format by magic bytes, so a zip for linux still has to unpack).
    pub fn sdk_zip(version: &str) -> Dist {
        Dist::sdk_with(version, Format::Zip, &SdkOptions::default())
    }

    pub fn sdk_with(version: &str, format: Format, opts: &SdkOptions) -> Dist {
        Dist::platform(version, host_os(), host_arch(), format, opts)
    }

    /// A synthetic SDK for another platform (its bytes are a real SDK for that platform).
    pub fn platform(
        version: &str,
        os: &str,
        arch: &str,
        format: Format,
        opts: &SdkOptions,
    ) -> Dist {
        let entries = sdk_entries(version, os, arch, opts);
        let (bytes, ext) = match format {
            Format::TarGz => (tar_gz(&entries), "tar.gz"),
            Format::Zip => (zip(&entries), "zip"),
        };
        Dist {
            version: version.into(),
            os: os.into(),
            arch: arch.into(),
            kind: "archive".into(),
            filename: format!("go{version}.{os}-{arch}.{ext}"),
            bytes,
            checksums: Checksums::Both,
            wrong_checksum: false,
            present: true,
        }
    }

    /// Arbitrary bytes published as this machine's archive for `version`.
    pub fn raw(version: &str, bytes: Vec<u8>) -> Dist {
        Dist {
            version: version.into(),
            os: host_os().into(),
            arch: host_arch().into(),
            kind: "archive".into(),
            filename: format!("go{version}.{}-{}.tar.gz", host_os(), host_arch()),
            bytes,
            checksums: Checksums::Both,
            wrong_checksum: false,
            present: true,
        }
    }

    /// The synthetic SDK's entries plus `extra` (appended last), as this machine's
    /// `.tar.gz` for `version`.
    pub fn sdk_plus(version: &str, extra: Vec<RawEntry>, format: Format) -> Dist {
        let mut entries = sdk_entries(version, host_os(), host_arch(), &SdkOptions::default());
        entries.extend(extra);
        let bytes = match format {
            Format::TarGz => tar_gz(&entries),
            Format::Zip => zip(&entries),
        };
        let mut d = Dist::raw(version, bytes);
        if format == Format::Zip {
            d.filename = format!("go{version}.{}-{}.zip", host_os(), host_arch());
        }
        d
    }

    pub fn checksums(mut self, c: Checksums) -> Dist {
        self.checksums = c;
        self
    }
    pub fn wrong_checksum(mut self) -> Dist {
        self.wrong_checksum = true;
        self
    }
    pub fn kind(mut self, kind: &str) -> Dist {
        self.kind = kind.into();
        self
    }
    pub fn filename(mut self, name: &str) -> Dist {
        self.filename = name.into();
        self
    }
    pub fn os_arch(mut self, os: &str, arch: &str) -> Dist {
        self.os = os.into();
        self.arch = arch.into();
        self
    }
    pub fn absent(mut self) -> Dist {
        self.present = false;
        self
    }
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }
    /// The digest the mirror publishes for this file.
    pub fn published_sha256(&self) -> String {
        if self.wrong_checksum {
            sha256_hex(format!("not {}", self.filename).as_bytes())
        } else {
            self.sha256()
        }
    }
}

/// Builds a mirror directory laid out like go.dev's downloads.
#[derive(Default)]
pub struct MirrorBuilder {
    dists: Vec<Dist>,
    index: bool,
    /// Versions listed in the index with no files (go.dev has such entries for old
    /// releases without archives for some ports).
    bare_versions: Vec<String>,
}

impl MirrorBuilder {
    pub fn new() -> MirrorBuilder {
        MirrorBuilder {
            dists: Vec::new(),
            index: true,
            bare_versions: Vec::new(),
        }
    }
    /// A synthetic `.tar.gz` SDK for this machine with index checksum and sidecar.
    pub fn sdk(self, version: &str) -> MirrorBuilder {
        self.dist(Dist::sdk(version))
    }
    pub fn sdks(mut self, versions: &[&str]) -> MirrorBuilder {
        for v in versions {
            self = self.sdk(v);
        }
        self
    }
    pub fn dist(mut self, d: Dist) -> MirrorBuilder {
        self.dists.push(d);
        self
    }
    /// Write no `index.json` (sidecars only).
    pub fn no_index(mut self) -> MirrorBuilder {
        self.index = false;
        self
    }
    pub fn bare_version(mut self, v: &str) -> MirrorBuilder {
        self.bare_versions.push(v.into());
        self
    }
    pub fn build(self) -> Mirror {
        let dir = TempDir::new().unwrap();
        let m = Mirror {
            dir,
            dists: self.dists,
            index: self.index,
            bare_versions: self.bare_versions,
        };
        m.write();
        m
    }
}

/// A mirror directory: archives by file name, `index.json`, sidecars.
pub struct Mirror {
    dir: TempDir,
    pub dists: Vec<Dist>,
    index: bool,
    bare_versions: Vec<String>,
}

impl Mirror {
    fn write(&self) {
        for d in &self.dists {
            let p = self.dir.path().join(&d.filename);
            if d.present {
                fs::write(&p, &d.bytes).unwrap();
            }
            let sidecar = self.dir.path().join(format!("{}.sha256", d.filename));
            if matches!(d.checksums, Checksums::Both | Checksums::SidecarOnly) {
                // dl.google.com serves bare hex with no newline.
                fs::write(&sidecar, d.published_sha256()).unwrap();
            } else {
                let _ = fs::remove_file(&sidecar);
            }
        }
        let index = self.dir.path().join("index.json");
        if self.index {
            fs::write(&index, self.index_json()).unwrap();
        } else {
            let _ = fs::remove_file(&index);
        }
    }

    /// go.dev's `?mode=json&include=all` document for these files: releases in the
    /// order first seen, each with `version`, `stable`, `files` (`filename`, `os`,
    /// `arch`, `version`, `sha256`, `size`, `kind`), indented with one space.
    pub fn index_json(&self) -> String {
        let mut order: Vec<String> = Vec::new();
        for d in &self.dists {
            if !order.contains(&d.version) {
                order.push(d.version.clone());
            }
        }
        for v in &self.bare_versions {
            if !order.contains(v) {
                order.push(v.clone());
            }
        }
        let releases: Vec<serde_json::Value> = order
            .iter()
            .map(|v| {
                let files: Vec<serde_json::Value> = self
                    .dists
                    .iter()
                    .filter(|d| &d.version == v)
                    .map(|d| {
                        let sha = match d.checksums {
                            Checksums::Both | Checksums::IndexOnly => d.published_sha256(),
                            Checksums::SidecarOnly | Checksums::Neither => String::new(),
                        };
                        serde_json::json!({
                            "filename": d.filename,
                            "os": d.os,
                            "arch": d.arch,
                            "version": format!("go{}", d.version),
                            "sha256": sha,
                            "size": d.bytes.len(),
                            "kind": d.kind,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "version": format!("go{v}"),
                    "stable": !(v.contains("rc") || v.contains("beta")),
                    "files": files,
                })
            })
            .collect();
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        serde::Serialize::serialize(&releases, &mut ser).unwrap();
        buf.push(b'\n');
        String::from_utf8(buf).unwrap()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `file:///…` for this directory.
    pub fn file_url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    /// The archive for this machine for `version`.
    pub fn archive(&self, version: &str) -> &Dist {
        self.dists
            .iter()
            .find(|d| {
                d.version == version
                    && d.os == host_os()
                    && d.arch == host_arch()
                    && d.kind == "archive"
            })
            .unwrap_or_else(|| panic!("fixture has no archive for {version}"))
    }

    /// `/<filename>` of this machine's archive for `version` (a server path).
    pub fn archive_path(&self, version: &str) -> String {
        format!("/{}", self.archive(version).filename)
    }

    /// Adds a release and rewrites the directory (e.g. to change the index between runs).
    pub fn add(&mut self, d: Dist) {
        self.dists.push(d);
        self.write();
    }

    /// A file in the mirror directory.
    pub fn file_path(&self, filename: &str) -> PathBuf {
        self.dir.path().join(filename)
    }

    pub fn remove_index(&mut self) {
        self.index = false;
        self.write();
    }
}

/// Makes a file executable (for ad-hoc scripts in tests).
pub fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn sdk_tarball_has_go_prefix_modes_and_raw_names() {
        let d = Dist::sdk_plus(
            "1.22.6",
            vec![RawEntry::file("go/../../evil", 0o644, b"x")],
            Format::TarGz,
        );
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&d.bytes[..]));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.path_bytes().to_vec()).unwrap();
            let mode = e.header().mode().unwrap();
            if name == "go/VERSION" {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                assert!(s.starts_with("go1.22.6\n"));
            }
            seen.push((name, mode));
        }
        assert!(seen.iter().all(|(n, _)| n.starts_with("go/")), "{seen:?}");
        assert!(seen.contains(&("go/bin/go".to_string(), 0o755)), "{seen:?}");
        assert!(
            seen.contains(&("go/../../evil".to_string(), 0o644)),
            "{seen:?}"
        );
    }

    #[test]
    fn index_json_uses_go_dev_schema() {
        let m = MirrorBuilder::new()
            .sdk("1.22.6")
            .dist(Dist::sdk("1.23rc1").checksums(Checksums::SidecarOnly))
            .build();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(m.path().join("index.json")).unwrap())
                .unwrap();
        let rel = &v[0];
        assert_eq!(rel["version"], "go1.22.6");
        assert_eq!(rel["stable"], true);
        let f = &rel["files"][0];
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut keys = keys;
        keys.sort();
        assert_eq!(
            keys,
            ["arch", "filename", "kind", "os", "sha256", "size", "version"]
        );
        assert_eq!(f["sha256"], m.archive("1.22.6").sha256());
        assert_eq!(v[1]["stable"], false);
        assert_eq!(v[1]["files"][0]["sha256"], "");
        let sidecar = std::fs::read_to_string(
            m.path()
                .join(format!("{}.sha256", m.archive("1.23rc1").filename)),
        )
        .unwrap();
        assert_eq!(sidecar, m.archive("1.23rc1").sha256());
    }

    #[test]
    fn zip_sdk_keeps_modes() {
        let d = Dist::sdk_zip("1.22.6");
        let mut z = ::zip::ZipArchive::new(std::io::Cursor::new(d.bytes.clone())).unwrap();
        let f = z.by_name("go/bin/go").unwrap();
        assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
    }
}

//! A GOPROXY on disk (servable over loopback HTTP or as a `file://` URL) holding
//! toolchain module zips, with a test checksum database rendered under
//! `sumdb/<name>/` as a proxy serves it: `supported`, `latest`, `lookup/…` and every
//! tile of the current tree.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::fixtures::{host_arch, host_os, EntryKind, RawEntry};
use super::sumdb_log::TestLog;

pub const MODULE: &str = "golang.org/toolchain";
pub const DB_NAME: &str = "sum.test.example";

/// `v0.0.1-go<v>.<os>-<arch>` for this machine.
pub fn module_version(v: &str) -> String {
    format!("v0.0.1-go{v}.{}-{}", host_os(), host_arch())
}

/// The toolchain module zip Go's release tool makes from a go.dev archive's entries
/// (names under `go/`): api/ doc/ misc/ test/ dropped, module prefix, `go.mod` named
/// `_go.mod`, no modes.
pub fn module_zip_from(entries: &[RawEntry], v: &str) -> Vec<u8> {
    let prefix = format!("{MODULE}@{}/", module_version(v));
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        if !matches!(e.kind, EntryKind::File) {
            continue;
        }
        let rel = e.name.strip_prefix("go/").expect("under go/");
        if ["api/", "doc/", "misc/", "test/"]
            .iter()
            .any(|d| rel.starts_with(d))
        {
            continue;
        }
        let rel = match rel.rsplit_once('/') {
            Some((d, "go.mod")) => format!("{d}/_go.mod"),
            _ if rel == "go.mod" => "_go.mod".into(),
            _ => rel.to_string(),
        };
        w.start_file(
            format!("{prefix}{rel}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&e.data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Go's `h1:` of a zip's files, computed here independently of gvr.
pub fn h1_of_zip(bytes: &[u8]) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        files.push((f.name().to_string(), hex::encode(Sha256::digest(&data))));
    }
    files.sort();
    let summary: String = files.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

pub struct TestProxy {
    dir: TempDir,
    pub log: TestLog,
}

impl Default for TestProxy {
    fn default() -> Self {
        TestProxy::new()
    }
}

impl TestProxy {
    /// An empty proxy and a log with some unrelated records.
    pub fn new() -> TestProxy {
        let mut log = TestLog::new(DB_NAME, 7);
        log.add_filler(37);
        let p = TestProxy {
            dir: TempDir::new().unwrap(),
            log,
        };
        p.render_sumdb();
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.path().display())
    }

    /// The GOSUMDB value that trusts the test database.
    pub fn gosumdb(&self) -> String {
        self.log.vkey()
    }

    fn v_dir(&self) -> PathBuf {
        self.path().join(MODULE).join("@v")
    }

    /// Publishes the module zip `zip` for `v` and records `h1` for it in the log.
    pub fn publish(&mut self, v: &str, zip: &[u8], h1: &str) {
        self.put_zip(v, zip);
        self.log.add(MODULE, &module_version(v), h1);
        self.render_sumdb();
    }

    /// Puts a zip in the proxy without touching the log.
    pub fn put_zip(&self, v: &str, zip: &[u8]) {
        let mv = module_version(v);
        let d = self.v_dir();
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(format!("{mv}.zip")), zip).unwrap();
        fs::write(
            d.join(format!("{mv}.info")),
            format!("{{\"Version\":\"{mv}\",\"Time\":\"2024-08-06T00:00:00Z\"}}\n"),
        )
        .unwrap();
        fs::write(d.join(format!("{mv}.mod")), format!("module {MODULE}\n")).unwrap();
        let list = d.join("list");
        let mut text = fs::read_to_string(&list).unwrap_or_default();
        if !text.lines().any(|l| l == mv) {
            text.push_str(&format!("{mv}\n"));
        }
        fs::write(list, text).unwrap();
    }

    /// Records `h1` for `v` in the log only.
    pub fn record(&mut self, v: &str, h1: &str) {
        self.log.add(MODULE, &module_version(v), h1);
        self.render_sumdb();
    }

    /// Serves `log` (another history, or another key) as the database from now on.
    pub fn replace_log(&mut self, log: TestLog) {
        self.log = log;
        let _ = fs::remove_dir_all(self.path().join("sumdb"));
        self.render_sumdb();
    }

    /// Stops serving the database (a proxy that does not proxy it).
    pub fn drop_sumdb(&self) {
        fs::remove_dir_all(self.path().join("sumdb")).unwrap();
    }

    /// Writes the database's files for the log's current tree.
    pub fn render_sumdb(&self) {
        let base = self.path().join("sumdb").join(self.log.name());
        let write = |rel: &str, data: &[u8]| {
            let p = base.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, data).unwrap();
        };
        write("supported", b"");
        write("latest", &self.log.signed_tree_at(self.log.size()));
        let mut id = 0;
        while let Some((m, v)) = self.log.record_key(id) {
            if let Some(body) = self.log.lookup(&m, &v) {
                write(&format!("lookup/{m}@{v}"), &body);
            }
            id += 1;
        }
        // Every tile of the tree: per level, full tiles and the partial one at the edge.
        let size = self.log.size();
        let mut level = 0u32;
        loop {
            let count = size >> (8 * level);
            if count == 0 {
                break;
            }
            for n in 0..count.div_ceil(256) {
                let w = (count - n * 256).min(256);
                let path = tile_path(level, n, w);
                let data = self.log.tile(&path).expect("tile of the tree");
                write(&path, &data);
            }
            level += 1;
        }
    }
}

/// Go's tile path: `tile/8/<level>/x001/234[.p/<w>]`.
fn tile_path(level: u32, n: u64, w: u64) -> String {
    let mut s = format!("{:03}", n % 1000);
    let mut rest = n / 1000;
    while rest > 0 {
        s = format!("x{:03}/{s}", rest % 1000);
        rest /= 1000;
    }
    let p = if w == 256 {
        String::new()
    } else {
        format!(".p/{w}")
    };
    format!("tile/8/{level}/{s}{p}")
}

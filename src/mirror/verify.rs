//! `gvr mirror verify`: re-hashes a kit against its manifest and, independently of
//! it, against the checksum database's signed material: the tree head's signature,
//! every module version's lookup and inclusion proof, the `h1:` of every module zip,
//! go.mod and go.dev archive, and each archive's sha256 against `index.json` and its
//! sidecar. Lists every problem, naming the file.

use std::collections::BTreeMap;

use super::hash::{archive_h1, mod_h1, sha256_file, zip_h1};
use super::kit::{self, Kit, MANIFEST};
use super::remote::KitRemote;
use crate::dist::distpack::{self, TOOLCHAIN_MODULE};
use crate::dist::fetch::{FetchConfig, Fetcher};
use crate::dist::goproxy::FetcherHttp;
use crate::dist::index::Platform;
use crate::dist::source::{parse_sidecar, Location};
use crate::dist::sumdb::{Client, Database, Lookup, TreeStore};
use crate::report::Reporter;
use crate::version::GoVersion;

/// One thing wrong with a kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kit-relative file.
    pub file: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

/// What verify looked at.
#[derive(Debug, Default)]
pub struct Verified {
    pub files: usize,
    pub modules: usize,
    pub archives: usize,
    pub problems: Vec<Problem>,
}

pub fn verify(kit: &Kit, db: &Database, reporter: &dyn Reporter) -> Verified {
    let mut out = Verified::default();
    let mut problems = Vec::new();
    let mut push = |file: &str, what: String| {
        problems.push(Problem {
            file: file.into(),
            what,
        })
    };

    // The manifest: every file present, unchanged, and nothing unlisted.
    let manifest = match kit.manifest() {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            push(
                MANIFEST,
                "missing: this is not a synced kit (run `gvr mirror sync`)".into(),
            );
            None
        }
        Err(e) => {
            push(MANIFEST, format!("unreadable: {e}"));
            None
        }
    };
    let files = kit.files().unwrap_or_default();
    out.files = files.len();
    if let Some(m) = &manifest {
        reporter.start(&format!("re-hashing {} files", m.files.len()), None);
        for (rel, want) in &m.files {
            match sha256_file(&kit.path(rel)) {
                Ok((sha, _)) if sha == want.sha256 => {}
                Ok((sha, _)) => push(
                    rel,
                    format!(
                        "changed: sha256 {sha}, gvr-kit.json records {}",
                        want.sha256
                    ),
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => push(rel, "missing".into()),
                Err(e) => push(rel, format!("unreadable: {e}")),
            }
        }
        for rel in &files {
            if !m.files.contains_key(rel) {
                push(rel, "not in gvr-kit.json (added after the sync?)".into());
            }
        }
        reporter.finish();
    }

    // The signed material, read as an install reads it (files checked against the
    // manifest, so a changed proof is named).
    let fetcher = Fetcher::new(FetchConfig::from_env(true));
    let http = FetcherHttp(&fetcher);
    let remote = KitRemote::new(
        Location::Dir(kit.root().to_path_buf()),
        &db.name,
        &http,
        manifest
            .as_ref()
            .map(|m| m.files.clone())
            .unwrap_or_default(),
    );
    let scratch = scratch_dir();
    let store = TreeStore::new(&scratch);
    let client = Client::new(db, &remote, &store);
    let latest = Kit::sumdb_rel(&db.name, "latest");
    let tree_ok = match client.update_latest() {
        Ok(_) => true,
        Err(e) => {
            push(
                &latest,
                format!("the signed tree head does not verify: {e}"),
            );
            false
        }
    };
    let modules = kit::modules(kit).unwrap_or_default();
    out.modules = modules.len();
    let mut lookups: BTreeMap<(String, String), Lookup> = BTreeMap::new();
    if tree_ok {
        reporter.start(
            &format!(
                "checking {} module versions against {}",
                modules.len(),
                db.name
            ),
            None,
        );
        for m in &modules {
            let lookup_rel = Kit::sumdb_rel(
                &db.name,
                &format!(
                    "lookup/{}@{}",
                    crate::dist::sumdb::escape(&m.module),
                    crate::dist::sumdb::escape(&m.version)
                ),
            );
            let found = match client.lookup(&m.module, &m.version) {
                Ok(l) => l,
                Err(e) => {
                    push(
                        &lookup_rel,
                        format!("{}@{} is not proven: {e}", m.module, m.version),
                    );
                    continue;
                }
            };
            if let Some(z) = &m.zip_file {
                match zip_h1(&kit.path(z)) {
                    Ok(h) if h == found.zip_h1 => {}
                    Ok(h) => push(
                        z,
                        format!(
                            "hashes to {h}, the checksum database records {}",
                            found.zip_h1
                        ),
                    ),
                    Err(e) => push(z, format!("unreadable module zip: {e}")),
                }
            }
            if let (Some(f), Some(want)) = (&m.mod_file, &found.mod_h1) {
                match std::fs::read(kit.path(f)) {
                    Ok(b) if mod_h1(&b) == *want => {}
                    Ok(b) => push(
                        f,
                        format!(
                            "hashes to {}, the checksum database records {want}",
                            mod_h1(&b)
                        ),
                    ),
                    Err(e) => push(f, format!("unreadable: {e}")),
                }
            }
            lookups.insert((m.module.clone(), m.version.clone()), found);
        }
        reporter.finish();
    }
    let _ = std::fs::remove_dir_all(&scratch);

    // The toolchain list names only zips the kit holds.
    let list_rel = format!("{TOOLCHAIN_MODULE}/@v/list");
    if let Ok(text) = std::fs::read_to_string(kit.path(&list_rel)) {
        for v in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !kit
                .path(&format!("{TOOLCHAIN_MODULE}/@v/{v}.zip"))
                .is_file()
            {
                push(&list_rel, format!("lists {v}, whose zip is missing"));
            }
        }
    }

    // The archives: index.json, sidecar and file agree, and the module-covered files
    // of releases from 1.21 hash to the database's record.
    match kit.releases() {
        Err(e) => push("index.json", format!("unreadable: {e}")),
        Ok(releases) => {
            reporter.start("checking the archives", None);
            for r in &releases {
                let version: Option<GoVersion> = r.version.trim_start_matches("go").parse().ok();
                for a in &r.files {
                    out.archives += 1;
                    let path = kit.path(&a.filename);
                    let sha = match sha256_file(&path) {
                        Ok((s, _)) => s,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            push(&a.filename, "missing (index.json lists it)".into());
                            continue;
                        }
                        Err(e) => {
                            push(&a.filename, format!("unreadable: {e}"));
                            continue;
                        }
                    };
                    if sha != a.sha256 {
                        push(
                            &a.filename,
                            format!("sha256 {sha}, index.json says {}", a.sha256),
                        );
                    }
                    let sidecar = format!("{}.sha256", a.filename);
                    match std::fs::read_to_string(kit.path(&sidecar)) {
                        Ok(t) => match parse_sidecar(&t) {
                            Some(s) if s == sha => {}
                            Some(s) => {
                                push(&sidecar, format!("says {s}, the archive's sha256 is {sha}"))
                            }
                            None => push(&sidecar, "holds no sha256".into()),
                        },
                        Err(_) => push(&sidecar, "missing".into()),
                    }
                    let Some(v) = version.as_ref().filter(|v| distpack::has_module(v)) else {
                        continue;
                    };
                    let mv = distpack::module_version(
                        v,
                        &Platform {
                            os: a.os.clone(),
                            arch: a.arch.clone(),
                        },
                    );
                    let Some(found) = lookups.get(&(TOOLCHAIN_MODULE.to_string(), mv.clone()))
                    else {
                        if tree_ok {
                            push(
                                &a.filename,
                                format!("the kit holds no proof for {TOOLCHAIN_MODULE}@{mv}"),
                            );
                        }
                        continue;
                    };
                    match archive_h1(&path, &mv) {
                        Ok(h) if h == found.zip_h1 => {}
                        Ok(h) => push(&a.filename, format!("its files hash to {h}, the checksum database records {} for {TOOLCHAIN_MODULE}@{mv}", found.zip_h1)),
                        Err(e) => push(&a.filename, format!("unreadable archive: {e}")),
                    }
                }
            }
            reporter.finish();
        }
    }
    out.problems = problems;
    out
}

/// A fresh directory for this verify's tree store: the kit is judged on its own
/// material, not on what this machine stored before.
fn scratch_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("gvr-verify-{}-{nanos}", std::process::id()))
}

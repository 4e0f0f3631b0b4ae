//! Sealing a kit after a sync: one signed tree head (`sumdb/<name>/latest`) in which
//! every module version the kit holds is proven, with the tiles of those proofs and of
//! the consistency of each lookup's own tree with it, then `gvr-kit.json`.
//!
//! Why one tree: a checksum-database client proves each record in the newest tree it
//! has seen, so which tiles it needs depends on the order of its lookups. Given the
//! kit's `latest` first (gvr does that; so does a Go whose GOPATH is seeded with it),
//! every proof is in that tree and the kit holds exactly the tiles it needs.

use std::fs;

use super::hash::sha256_file;
use super::kit::{self, FileEntry, Kit, Manifest, MANIFEST};
use super::remote::Collecting;
use super::MirrorError;
use crate::dist::sumdb::{Client, Database, Remote, TreeStore};
use crate::fsutil::write_atomic;
use crate::report::Reporter;

/// The scratch store of the seal (hidden: not part of the kit).
const SEAL_STORE: &str = ".gvr-seal";

pub fn seal(
    kit: &Kit,
    db: &Database,
    upstream: &dyn Remote,
    reporter: &dyn Reporter,
) -> Result<(), MirrorError> {
    let modules = kit::modules(kit).map_err(|e| MirrorError::io(kit.root(), e))?;
    reporter.start(
        &format!(
            "proving {} module versions in one tree of {}",
            modules.len(),
            db.name
        ),
        None,
    );
    let scratch = kit.path(SEAL_STORE);
    let _ = fs::remove_dir_all(&scratch);
    let store = TreeStore::new(&scratch);
    let remote = Collecting::new(kit, &db.name, upstream);
    let client = Client::new(db, &remote, &store);
    let latest_path = kit.path(&Kit::sumdb_rel(&db.name, "latest"));
    let load = || store.load(&db.name).map_err(MirrorError::from);
    // A record proven before a later lookup grew the tree is proven again in the
    // grown one; the tree stops growing once every lookup's tree is merged.
    for _ in 0..4 {
        let before = load()?;
        if let Ok(note) = fs::read(&latest_path) {
            client
                .merge_tree_note(&note)
                .inspect_err(|_| remote.discard())?;
        }
        for m in &modules {
            client
                .lookup(&m.module, &m.version)
                .inspect_err(|_| remote.discard())?;
            remote
                .commit()
                .map_err(|e| MirrorError::io(&kit.path("sumdb"), e))?;
        }
        if load()? == before {
            break;
        }
    }
    remote
        .commit()
        .map_err(|e| MirrorError::io(&kit.path("sumdb"), e))?;
    if let Some(note) = load()? {
        write_atomic(&latest_path, &note).map_err(|e| MirrorError::io(&latest_path, e))?;
        let supported = kit.path(&Kit::sumdb_rel(&db.name, "supported"));
        write_atomic(&supported, b"").map_err(|e| MirrorError::io(&supported, e))?;
    }
    let _ = fs::remove_dir_all(&scratch);
    reporter.finish();
    Ok(())
}

/// Hashes every file of the kit into `gvr-kit.json`.
pub fn write_manifest(
    kit: &Kit,
    db: &str,
    reporter: &dyn Reporter,
) -> Result<Manifest, MirrorError> {
    reporter.start("hashing the kit into gvr-kit.json", None);
    let mut m = Manifest {
        gvr_kit: 1,
        sumdb: db.to_string(),
        ..Manifest::default()
    };
    for rel in kit.files().map_err(|e| MirrorError::io(kit.root(), e))? {
        let p = kit.path(&rel);
        let (sha256, size) = sha256_file(&p).map_err(|e| MirrorError::io(&p, e))?;
        m.files.insert(rel, FileEntry { sha256, size });
    }
    let json = serde_json::to_vec_pretty(&m).expect("serialisable");
    let p = kit.path(MANIFEST);
    write_atomic(&p, &json).map_err(|e| MirrorError::io(&p, e))?;
    reporter.finish();
    Ok(m)
}

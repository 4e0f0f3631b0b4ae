//! What an install is checked against (its anchor) and the checksum-database policy:
//! GOSUMDB / GONOSUMDB (GOPRIVATE) as the go command reads them, `GVR_SUMDB=require|off`,
//! and the lookup of a release's `h1:` through the GOPROXY.

// Errors carry the notes and URLs users need; they happen once per command.
#![allow(clippy::result_large_err)]

use super::distpack::{self, TOOLCHAIN_MODULE};
use super::fetch::{FetchConfig, Fetcher};
use super::goproxy::config::{go_setting, load_go_env, matches_prefix_patterns};
use super::goproxy::{FetcherHttp, GoEnv, GoProxy, ProxyError};
use super::sumdb::{self, Client, Setting, SumdbError, TreeStore};
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::GoVersion;
use gvr_core::process::OsProcess;

/// What vouched for an installed release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// The checksum database's signed log holds the release's `h1:`.
    Sumdb { name: String },
    /// go.dev's own index gave the sha256.
    GoDevIndex,
    /// A mirror vouched for itself (its index.json or sidecar).
    MirrorAsserted,
    /// A single `file://` GOPROXY with the database off: trusted as is, as Go does.
    FileProxy,
    /// Nothing (`--allow-unverified`).
    Unverified,
}

impl Anchor {
    /// The receipt's `anchor` value.
    pub fn kind(&self) -> &'static str {
        match self {
            Anchor::Sumdb { .. } => "sumdb",
            Anchor::GoDevIndex => "go.dev index",
            Anchor::MirrorAsserted => "mirror-asserted",
            Anchor::FileProxy => "file-proxy",
            Anchor::Unverified => "unverified",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Anchor::Sumdb { name } => format!("verified against the checksum database {name}"),
            Anchor::GoDevIndex => "verified against go.dev's index".into(),
            Anchor::MirrorAsserted => "asserted by the mirror itself".into(),
            Anchor::FileProxy => "trusted as served by a file:// GOPROXY".into(),
            Anchor::Unverified => "UNVERIFIED".into(),
        }
    }
}

/// Why the database was not consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// `GOSUMDB=off`.
    Off,
    /// `GVR_SUMDB=off`: gvr alone does not use the database (Go still does).
    GvrOff,
    /// `GONOSUMDB` (or `GOPRIVATE`) matches golang.org/toolchain.
    NoSumdb(String),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::Off => f.write_str("GOSUMDB=off"),
            Skipped::GvrOff => f.write_str("GVR_SUMDB=off"),
            Skipped::NoSumdb(p) => {
                write!(f, "GONOSUMDB/GOPRIVATE `{p}` matches {TOOLCHAIN_MODULE}")
            }
        }
    }
}

/// The outcome of checking a computed `h1:` against the database.
#[derive(Debug)]
pub enum Checked {
    Verified(Anchor),
    Skipped(Skipped),
    /// The database could not be reached (offline, DNS, refused).
    Unreachable(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{what} is not the release Go published: its files hash to {got}, but the checksum database {db} records {want} for {module}; nothing was installed. The source serves a modified go{version}")]
    Mismatch {
        what: String,
        version: GoVersion,
        module: String,
        db: String,
        got: String,
        want: String,
    },
    #[error(transparent)]
    Sumdb(#[from] SumdbError),
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error("the kit {kit} cannot vouch for {module}: {why}; run `gvr mirror verify` on the kit, or sync it again")]
    Kit {
        kit: String,
        module: String,
        why: String,
    },
}

/// A kit (`gvr mirror sync`) given as the mirror: the checksum database is read from
/// its `sumdb/` material only, checked file by file against its manifest.
#[derive(Debug, Clone)]
pub struct KitMaterial {
    pub location: super::source::Location,
    /// Relative path → sha256 and size, from the kit's `gvr-kit.json`.
    pub files: std::collections::BTreeMap<String, crate::mirror::kit::FileEntry>,
    /// For messages.
    pub shown: String,
}

/// The checksum-database settings and the means to use them.
pub struct Trust {
    pub env: GoEnv,
    pub setting: Setting,
    nosumdb: Option<String>,
    /// `GVR_SUMDB=require`: an unreachable database is an error, never a fallback.
    pub require: bool,
    /// `GVR_SUMDB=off`: gvr does not use the database, whatever GOSUMDB says.
    gvr_off: bool,
    fetcher: Fetcher,
    /// The kit installs come from, if the mirror is one.
    pub kit: Option<KitMaterial>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("setting", &self.setting)
            .field("require", &self.require)
            .finish()
    }
}

impl Trust {
    /// Reads GOSUMDB, GONOSUMDB/GOPRIVATE (environment, then Go's env file) and
    /// GVR_SUMDB.
    pub fn from_env(fetch: FetchConfig) -> Result<Trust, SumdbError> {
        let p = &OsProcess;
        let env = load_go_env(p);
        let get = |key| go_setting(&env, p, key);
        let setting = sumdb::config::parse(&get("GOSUMDB").unwrap_or_default())?;
        let nosumdb = get("GONOSUMDB")
            .or_else(|| get("GOPRIVATE"))
            .filter(|p| matches_prefix_patterns(p, TOOLCHAIN_MODULE));
        let gvr_sumdb = std::env::var("GVR_SUMDB").unwrap_or_default();
        let require = gvr_sumdb.trim() == "require";
        let gvr_off = gvr_sumdb.trim() == "off";
        Ok(Trust {
            env,
            setting,
            nosumdb,
            require,
            gvr_off,
            fetcher: Fetcher::new(fetch),
            kit: None,
        })
    }

    pub fn http(&self) -> FetcherHttp<'_> {
        FetcherHttp(&self.fetcher)
    }

    /// Why the database is not used, if it is not.
    pub fn skipped(&self) -> Option<Skipped> {
        if self.gvr_off {
            return Some(Skipped::GvrOff);
        }
        match (&self.setting, &self.nosumdb) {
            (Setting::Off, _) => Some(Skipped::Off),
            (_, Some(p)) => Some(Skipped::NoSumdb(p.clone())),
            _ => None,
        }
    }

    /// Checks that `got` (the `h1:` gvr computed over `what`) is what the database
    /// records for `version` on this platform.
    pub fn check(
        &self,
        home: &GvrHome,
        proxy: &GoProxy,
        version: &GoVersion,
        got: &str,
        what: &str,
        reporter: &dyn Reporter,
    ) -> Result<Checked, TrustError> {
        if let Some(s) = self.skipped() {
            return Ok(Checked::Skipped(s));
        }
        let Setting::Use(db) = &self.setting else {
            unreachable!("skipped() covers Off")
        };
        let module_version = proxy.module_version(version);
        if let Some(kit) = &self.kit {
            let http = self.http();
            let remote = crate::mirror::remote::KitRemote::new(
                kit.location.clone(),
                &db.name,
                &http,
                kit.files.clone(),
            );
            // The kit's records are proven in the kit's own signed tree, with a store of
            // its own: the kit carries no tiles linking that tree to whatever tree head
            // this machine stored online (older or newer), so comparing them would fail
            // for want of proof, not for a fork.
            let scratch =
                crate::fsutil::Staging::new(&home.tmp_dir(), "kitsumdb").map_err(|e| {
                    SumdbError::Io {
                        path: home.tmp_dir(),
                        source: e,
                    }
                })?;
            let store = TreeStore::new(scratch.path());
            // The kit carries the material: missing material is its fault, never a
            // reason to fall back to a weaker anchor.
            return match self.check_in(
                &store,
                &remote,
                version,
                &module_version,
                got,
                what,
                true,
                reporter,
            ) {
                Ok(Checked::Unreachable(why)) => Err(TrustError::Kit {
                    kit: kit.shown.clone(),
                    module: format!("{TOOLCHAIN_MODULE}@{module_version}"),
                    why,
                }),
                other => other,
            };
        }
        let remote = proxy.sumdb_remote(db, reporter);
        self.check_in(
            &TreeStore::new(home.root().join("sumdb")),
            &remote,
            version,
            &module_version,
            got,
            what,
            false,
            reporter,
        )
    }

    /// [`Trust::check`] with the database reached through `remote` (a kit's material)
    /// for `module_version`, tree heads kept in `store`. With `refresh_latest`, the remote's `latest` tree head is
    /// merged first, so every record is proven in that one tree (a kit carries the tiles
    /// for it, not for whichever tree each lookup happened to see).
    #[allow(clippy::too_many_arguments)]
    pub fn check_in(
        &self,
        store: &TreeStore,
        remote: &dyn sumdb::Remote,
        version: &GoVersion,
        module_version: &str,
        got: &str,
        what: &str,
        refresh_latest: bool,
        reporter: &dyn Reporter,
    ) -> Result<Checked, TrustError> {
        if let Some(s) = self.skipped() {
            return Ok(Checked::Skipped(s));
        }
        let Setting::Use(db) = &self.setting else {
            unreachable!("skipped() covers Off")
        };
        reporter.start(
            &format!(
                "checking {TOOLCHAIN_MODULE}@{module_version} in the checksum database ({})",
                remote.base()
            ),
            None,
        );
        let client = Client::new(db, remote, store);
        let looked = if refresh_latest {
            client
                .update_latest()
                .and_then(|_| client.lookup(TOOLCHAIN_MODULE, module_version))
        } else {
            client.lookup(TOOLCHAIN_MODULE, module_version)
        };
        reporter.finish();
        let found = match looked {
            Ok(l) => l,
            Err(SumdbError::Unreachable { why, .. }) => return Ok(Checked::Unreachable(why)),
            Err(e) => return Err(e.into()),
        };
        if found.zip_h1 != got {
            return Err(TrustError::Mismatch {
                what: what.to_string(),
                version: version.clone(),
                module: format!("{TOOLCHAIN_MODULE}@{module_version}"),
                db: db.name.clone(),
                got: got.to_string(),
                want: found.zip_h1,
            });
        }
        Ok(Checked::Verified(Anchor::Sumdb {
            name: db.name.clone(),
        }))
    }
}

/// Whether an archive of `version` can be checked against the database: releases
/// built by Go's release tool (1.21 and later) map onto the toolchain module.
pub fn archive_checkable(version: &GoVersion) -> bool {
    distpack::has_module(version)
}

impl KitMaterial {
    /// A kit's archive is named by three files that must agree before it is used: its
    /// `index.json` entry (`sha256`), its `.sha256` sidecar and the manifest.
    pub fn check_archive(
        &self,
        http: &dyn super::goproxy::Http,
        filename: &str,
        sha256: &str,
    ) -> Result<(), TrustError> {
        use super::source::Location;
        use sha2::{Digest, Sha256};
        let changed = |file: &str, why: String| TrustError::Kit {
            kit: self.shown.clone(),
            module: filename.to_string(),
            why: format!("{file} {why}"),
        };
        let sidecar = format!("{filename}.sha256");
        let body = match &self.location {
            Location::Dir(d) => std::fs::read(d.join(&sidecar)).map_err(|e| e.to_string()),
            Location::Http(u) => http
                .get(&format!("{u}/{sidecar}"), &crate::report::Silent)
                .map_err(|e| e.to_string()),
            Location::GoDev => unreachable!("a kit is a mirror"),
        }
        .map_err(|e| changed(&sidecar, format!("cannot be read ({e})")))?;
        if let Some(want) = self.files.get(&sidecar) {
            let got = hex::encode(Sha256::digest(&body));
            if got != want.sha256 {
                return Err(changed(
                    &sidecar,
                    "differs from the kit's gvr-kit.json (it was changed)".into(),
                ));
            }
        }
        match super::source::parse_sidecar(&String::from_utf8_lossy(&body)) {
            Some(s) if s == sha256 => {}
            other => {
                return Err(changed(
                    &sidecar,
                    format!(
                        "says {}, but the kit's index.json says {sha256}",
                        other.as_deref().unwrap_or("nothing")
                    ),
                ))
            }
        }
        match self.files.get(filename) {
            Some(e) if e.sha256 != sha256 => Err(changed(
                "index.json",
                format!(
                    "gives {sha256} for it, but gvr-kit.json records {}",
                    e.sha256
                ),
            )),
            _ => Ok(()),
        }
    }
}

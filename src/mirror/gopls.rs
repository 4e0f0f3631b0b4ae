//! gopls in a kit: the module closure of `go install golang.org/x/tools/gopls@vX`.
//!
//! Syncing runs that very command with a fresh GOMODCACHE and GOPATH: what Go then holds
//! under `GOMODCACHE/cache/download` is exactly the set of `.info`/`.mod`/`.zip` files
//! the build reads, already in the GOPROXY layout. Each is checked against the checksum
//! database (gvr's own lookup, as for toolchains) before it is copied into the kit.
//!
//! Building offline, Go is pointed at the kit (`GOPROXY=file://KIT`), GOSUMDB stays on:
//! Go finds the database at `<proxy>/sumdb/<name>/` and verifies each module against
//! the kit's lookups and tiles. Its tree head store lives under `GOPATH/pkg/sumdb`; a
//! private GOPATH seeded with the kit's `latest` makes Go prove every record in the one
//! tree the kit holds tiles for. (A go.sum file with GONOSUMDB would need no database
//! at all, but then nothing signed vouches for the modules.)

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::kit::{self, Kit};
use super::remote::Collecting;
use super::MirrorError;
use crate::dist::goproxy::GoProxy;
use crate::dist::source::{file_url, Location};
use crate::dist::sumdb::{Client, Database, TreeStore};
use crate::fsutil::write_atomic;
use crate::gopls::{build_env, BuildRequest, GoplsVersion, MODULE};
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::GoVersion;

/// Collects the closure of gopls `gopls` built by the SDK at `goroot` into the kit.
#[allow(clippy::too_many_arguments)]
pub fn collect(
    home: &GvrHome,
    kit: &Kit,
    db: &Database,
    proxy: &GoProxy,
    goroot: &Path,
    go: &GoVersion,
    gopls: &GoplsVersion,
    scratch: &Path,
    reporter: &dyn Reporter,
) -> Result<usize, MirrorError> {
    if let Some(n) = collected(kit, gopls) {
        return Ok(n);
    }
    let marker_rel = marker(gopls);
    let modcache = scratch.join("mod");
    let gopath = scratch.join("gopath");
    let gobin = scratch.join("bin");
    for d in [&modcache, &gopath, &gobin] {
        fs::create_dir_all(d).map_err(|e| MirrorError::io(d, e))?;
    }
    reporter.start(
        &format!("fetching the modules of gopls {gopls} (go install with go{go})"),
        None,
    );
    let req = BuildRequest {
        gopls,
        goroot,
        go,
        extra_env: &[],
        offline: false,
    };
    let mut cmd = Command::new(req.go_binary());
    for (k, v) in build_env(&req, &gobin, std::env::var_os("PATH").as_deref()) {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .env("GOMODCACHE", &modcache)
        .env("GOPATH", &gopath)
        .env("GOFLAGS", "-modcacherw")
        .env("GOPROXY", proxy.setting())
        .current_dir(scratch)
        .stdin(Stdio::null())
        .arg("install")
        .arg(format!("{MODULE}@{gopls}"))
        .output()
        .map_err(|e| MirrorError::io(&req.go_binary(), e))?;
    reporter.finish();
    if !out.status.success() {
        return Err(MirrorError::Gopls(format!(
            "`go install {MODULE}@{gopls}` with go{go} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }

    // Check what Go fetched with gvr's own lookups, then copy it in.
    let cache = Kit::new(modcache.join("cache").join("download"));
    let modules = kit::modules(&cache).map_err(|e| MirrorError::io(cache.root(), e))?;
    reporter.start(
        &format!(
            "checking {} module versions of gopls {gopls}",
            modules.len()
        ),
        None,
    );
    let store = TreeStore::new(home.root().join("sumdb"));
    let upstream = proxy.sumdb_remote(db, &crate::report::Silent);
    let remote = Collecting::new(kit, &db.name, &upstream);
    let client = Client::new(db, &remote, &store);
    let mut copied = Vec::new();
    for m in &modules {
        let found = client
            .lookup(&m.module, &m.version)
            .inspect_err(|_| remote.discard())?;
        let mismatch = |file: &str, got: String, want: &str| MirrorError::Mismatch {
            what: format!(
                "{} (as `go install` downloaded it)",
                cache.path(file).display()
            ),
            module: format!("{}@{}", m.module, m.version),
            got,
            want: want.to_string(),
        };
        if let Some(z) = &m.zip_file {
            let got = super::hash::zip_h1(&cache.path(z))
                .map_err(|e| MirrorError::io(&cache.path(z), e))?;
            if got != found.zip_h1 {
                return Err(mismatch(z, got, &found.zip_h1));
            }
        }
        if let (Some(f), Some(want)) = (&m.mod_file, &found.mod_h1) {
            let b = fs::read(cache.path(f)).map_err(|e| MirrorError::io(&cache.path(f), e))?;
            let got = super::hash::mod_h1(&b);
            if got != *want {
                return Err(mismatch(f, got, want));
            }
        }
        remote
            .commit()
            .map_err(|e| MirrorError::io(&kit.path("sumdb"), e))?;
        for rel in [&m.mod_file, &m.zip_file].into_iter().flatten() {
            copy_in(&cache.path(rel), &kit.path(rel))?;
            copied.push(rel.clone());
        }
        let info = format!(
            "{}/@v/{}.info",
            crate::dist::sumdb::escape(&m.module),
            crate::dist::sumdb::escape(&m.version)
        );
        if cache.path(&info).is_file() {
            copy_in(&cache.path(&info), &kit.path(&info))?;
        }
    }
    write_lists(kit)?;
    let list: String = copied.iter().map(|f| format!("{f}\n")).collect();
    let marker = kit.path(&marker_rel);
    write_atomic(&marker, list.as_bytes()).map_err(|e| MirrorError::io(&marker, e))?;
    reporter.finish();
    Ok(copied.len())
}

fn marker(gopls: &GoplsVersion) -> String {
    format!("gopls/{gopls}/modules.txt")
}

/// The closure of `gopls` if the kit holds all of it already (its list is written only
/// once every file of it is in the kit): how many files.
pub fn collected(kit: &Kit, gopls: &GoplsVersion) -> Option<usize> {
    let text = fs::read_to_string(kit.path(&marker(gopls))).ok()?;
    let files: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    files
        .iter()
        .all(|f| kit.path(f).is_file())
        .then_some(files.len())
}

/// Copies `from` to `to` unless it is there: via a hidden partial name, then renamed.
fn copy_in(from: &Path, to: &Path) -> Result<(), MirrorError> {
    if to.is_file() {
        return Ok(());
    }
    let partial = kit::partial_path(to);
    if let Some(d) = to.parent() {
        fs::create_dir_all(d).map_err(|e| MirrorError::io(d, e))?;
    }
    fs::copy(from, &partial).map_err(|e| MirrorError::io(&partial, e))?;
    fs::rename(&partial, to).map_err(|e| MirrorError::io(to, e))
}

/// `<module>/@v/list` for every module of the kit but the toolchain's (whose list names
/// zips): the versions with a `.mod`, as Go's own download cache lists them.
fn write_lists(kit: &Kit) -> Result<(), MirrorError> {
    let mut by_module: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for m in kit::modules(kit).map_err(|e| MirrorError::io(kit.root(), e))? {
        if m.module == crate::dist::distpack::TOOLCHAIN_MODULE || m.mod_file.is_none() {
            continue;
        }
        by_module
            .entry(crate::dist::sumdb::escape(&m.module))
            .or_default()
            .push(crate::dist::sumdb::escape(&m.version));
    }
    for (dir, versions) in by_module {
        let p = kit.path(&format!("{dir}/@v/list"));
        let text: String = versions.iter().map(|v| format!("{v}\n")).collect();
        write_atomic(&p, text.as_bytes()).map_err(|e| MirrorError::io(&p, e))?;
    }
    Ok(())
}

/// The environment for building gopls from a kit: `GOPROXY` at the kit, GOSUMDB left
/// as configured, and a private GOPATH (under `$GVR_HOME/cache/kit-gopath`) whose
/// checksum-database store holds the kit's tree head. Returns the variables to add.
pub fn build_env_for_kit(
    home: &GvrHome,
    location: &Location,
    db: &Database,
    latest: &[u8],
) -> Result<Vec<(OsString, OsString)>, MirrorError> {
    let proxy = match location {
        Location::Dir(d) => file_url(d),
        Location::Http(u) => u.clone(),
        Location::GoDev => unreachable!("a kit is a mirror"),
    };
    let gopath: PathBuf = home.root().join("kit-gopath");
    let latest_path = gopath
        .join("pkg")
        .join("sumdb")
        .join(&db.name)
        .join("latest");
    write_atomic(&latest_path, latest).map_err(|e| MirrorError::io(&latest_path, e))?;
    Ok(vec![
        ("GOPROXY".into(), proxy.into()),
        ("GOPATH".into(), gopath.into_os_string()),
        ("GOFLAGS".into(), "-modcacherw".into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kit_build_reads_the_kit_with_its_tree_head() {
        let d = tempfile::tempdir().unwrap();
        let home = GvrHome::at(d.path().join("gvr"), d.path().join("cache"));
        let db = match crate::dist::sumdb::config::parse("").unwrap() {
            crate::dist::sumdb::Setting::Use(db) => db,
            _ => unreachable!(),
        };
        let kit = Location::Dir(d.path().join("kit"));
        let env = build_env_for_kit(&home, &kit, &db, b"go.sum database tree\n1\nx\n").unwrap();
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("GOPROXY"),
            Some(format!("file://{}", d.path().join("kit").display()).into())
        );
        let gopath = PathBuf::from(get("GOPATH").unwrap());
        assert_eq!(
            fs::read(gopath.join("pkg/sumdb/sum.golang.org/latest")).unwrap(),
            b"go.sum database tree\n1\nx\n"
        );
        // GOSUMDB is left as the user set it: Go verifies against the kit's material.
        assert_eq!(get("GOSUMDB"), None);
    }
}

//! `gvr mirror sync`: builds or updates a kit. Every file is downloaded under a hidden
//! `.<name>.partial` name, in parallel, with one progress display; then checked with the
//! same anchors `gvr install` uses (the archive's sha256 from its source, and for
//! releases from 1.21 the checksum database's `h1:` of the toolchain module, which the
//! module zip and the archive's module-covered files must both hash to); only then
//! does it get its final name. Files already in the kit are kept, so a killed sync is
//! simply run again.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::hash::{archive_h1, mod_h1, sha256_file, zip_h1};
use super::kit::{partial_path, Kit, LOCK};
use super::remote::Collecting;
use super::MirrorError;
use crate::dist::distpack::{self, TOOLCHAIN_MODULE};
use crate::dist::fetch::{copy_local, Failed, FetchConfig};
use crate::dist::goproxy::{GoProxy, ZipLocation};
use crate::dist::index::{Artifact, Platform};
use crate::dist::source::{ArchiveLocation, Located};
use crate::dist::sumdb::{self, Client, Database, TreeStore};
use crate::dist::Source;
use crate::fsutil::{write_atomic, FileLock};
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::{GoVersion, VersionSpec};

/// What to put in the kit.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub specs: Vec<VersionSpec>,
    pub platforms: Vec<Platform>,
    /// The go.dev-layout source of archives (`None`: go.dev).
    pub archives_from: Option<String>,
    /// Whether to fetch archives at all (not when go.dev is the source and cannot be
    /// reached: the kit then holds the toolchain modules).
    pub archives: bool,
    /// Parallel downloads.
    pub jobs: usize,
}

/// What a sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub releases: Vec<GoVersion>,
    pub downloaded: Vec<String>,
    pub kept: usize,
    /// Things the user should know (an archive source that could not serve a release).
    pub notes: Vec<String>,
}

/// One file the kit should hold.
enum Job {
    /// The toolchain module of a release for a platform.
    Module {
        version: GoVersion,
        module_version: String,
        platform: Platform,
    },
    /// A go.dev archive.
    Archive {
        version: GoVersion,
        located: Located,
        platform: Platform,
    },
}

impl Job {
    fn final_rel(&self) -> String {
        match self {
            Job::Module { module_version, .. } => module_rel(module_version, "zip"),
            Job::Archive { located, .. } => located.filename.clone(),
        }
    }
}

pub fn module_rel(module_version: &str, ext: &str) -> String {
    format!(
        "{}/@v/{module_version}.{ext}",
        sumdb::escape(TOOLCHAIN_MODULE)
    )
}

/// A reporter that passes byte counts and notes on but keeps the one display: the
/// workers must not each start a step of their own.
struct Bytes<'r>(&'r dyn Reporter);

impl Reporter for Bytes<'_> {
    fn advance(&self, n: u64) {
        self.0.advance(n)
    }
    fn note(&self, m: &str) {
        self.0.note(m)
    }
}

/// Locks the kit for the whole sync (a second sync waits), creating it if needed.
pub fn lock(kit: &Kit, reporter: &dyn Reporter) -> Result<FileLock, MirrorError> {
    fs::create_dir_all(kit.root()).map_err(|e| MirrorError::io(kit.root(), e))?;
    let path = kit.path(LOCK);
    let lock = FileLock::acquire(&path, || {
        reporter.note(&format!(
            "waiting for another gvr mirror sync of {} to finish…",
            kit.root().display()
        ))
    })
    .map_err(|e| MirrorError::io(&path, e))?;
    // Partial downloads stay: the sync continues them.
    kit.clean_scratch(false)
        .map_err(|e| MirrorError::io(kit.root(), e))?;
    Ok(lock)
}

/// Adds the releases `opts` names to the kit (the caller holds [`lock`]).
pub fn sync_releases(
    home: &GvrHome,
    kit: &Kit,
    db: &Database,
    proxy: &GoProxy,
    fetch: &FetchConfig,
    opts: &SyncOptions,
    reporter: &dyn Reporter,
) -> Result<SyncReport, MirrorError> {
    let mut report = SyncReport::default();
    let source = || Source::new(opts.archives_from.as_deref(), fetch.clone());
    let host = source()?;
    for spec in &opts.specs {
        let v = match spec {
            VersionSpec::Exact(v) => v.release_name(),
            _ if !opts.archives => proxy.resolve(spec, reporter)?,
            _ => match host.resolve(home, spec, reporter) {
                Ok(v) => v,
                Err(e) => {
                    report.notes.push(format!(
                        "{} cannot resolve `{spec}` ({e}); resolved through the GOPROXY",
                        host.name()
                    ));
                    proxy.resolve(spec, reporter)?
                }
            },
        };
        if !report.releases.contains(&v) {
            report.releases.push(v);
        }
    }
    report.releases.sort();

    let mut jobs = Vec::new();
    for platform in &opts.platforms {
        let archives = source()?.with_platform(platform.clone());
        for v in &report.releases {
            if distpack::has_module(v) {
                jobs.push(Job::Module {
                    version: v.clone(),
                    module_version: distpack::module_version(v, platform),
                    platform: platform.clone(),
                });
            }
            if !opts.archives {
                if !distpack::has_module(v) {
                    return Err(MirrorError::NoArchiveSource {
                        version: v.to_string(),
                        platform: platform.to_string(),
                    });
                }
                continue;
            }
            match archives.locate(home, v, reporter) {
                Ok(located) => jobs.push(Job::Archive {
                    version: located.version.clone(),
                    located,
                    platform: platform.clone(),
                }),
                Err(e) if distpack::has_module(v) => report.notes.push(format!(
                    "no go.dev archive of go{v} for {platform} ({e}); the kit holds its toolchain module"
                )),
                Err(e) => return Err(e.into()),
            }
        }
    }

    // Keep what the kit already holds under its final name.
    let index = kit
        .releases()
        .map_err(|e| MirrorError::io(&kit.path("index.json"), e))?;
    let listed = |f: &str| {
        index
            .iter()
            .any(|r| r.files.iter().any(|a| a.filename == f))
    };
    let (done, todo): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| {
        let present = kit.path(&j.final_rel()).is_file();
        match j {
            Job::Module { module_version, .. } => {
                present && kit.path(&module_rel(module_version, "mod")).is_file()
            }
            Job::Archive { located, .. } => {
                present
                    && listed(&located.filename)
                    && kit.path(&format!("{}.sha256", located.filename)).is_file()
            }
        }
    });
    report.kept = done.len();

    let downloaded = download_all(kit, proxy, fetch, opts, &todo, reporter)?;
    let store = TreeStore::new(home.root().join("sumdb"));
    for (job, partial) in todo.iter().zip(downloaded) {
        settle(kit, db, proxy, &store, job, &partial, reporter)?;
        report.downloaded.push(job.final_rel());
    }
    write_toolchain_list(kit)?;
    // Every job is settled: what is still partial belongs to nothing asked for now.
    kit.clean_scratch(true)
        .map_err(|e| MirrorError::io(kit.root(), e))?;
    Ok(report)
}

/// Downloads every job into its partial file, `opts.jobs` at a time.
fn download_all(
    kit: &Kit,
    proxy: &GoProxy,
    fetch: &FetchConfig,
    opts: &SyncOptions,
    jobs: &[Job],
    reporter: &dyn Reporter,
) -> Result<Vec<PathBuf>, MirrorError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let total: Option<u64> = jobs
        .iter()
        .map(|j| match j {
            Job::Archive { located, .. } => located.size,
            Job::Module { .. } => None,
        })
        .sum();
    reporter.start(
        &format!("downloading {} files into the kit", jobs.len()),
        total,
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<PathBuf, MirrorError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let bytes = Bytes(reporter);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let r = download_one(kit, proxy, fetch, job, &bytes);
                let failed = r.is_err();
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                if failed {
                    // Let the others finish their file; start no new one.
                    next.store(jobs.len(), Ordering::SeqCst);
                }
            });
        }
    });
    reporter.finish();
    let mut out = Vec::new();
    for r in results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
    {
        out.push(r?);
    }
    Ok(out)
}

fn download_one(
    kit: &Kit,
    proxy: &GoProxy,
    fetch: &FetchConfig,
    job: &Job,
    reporter: &dyn Reporter,
) -> Result<PathBuf, MirrorError> {
    let partial = partial_path(&kit.path(&job.final_rel()));
    if let Some(dir) = partial.parent() {
        fs::create_dir_all(dir).map_err(|e| MirrorError::io(dir, e))?;
    }
    // What an earlier, interrupted sync downloaded is continued with a Range request.
    let offset = fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)
        .map_err(|e| MirrorError::io(&partial, e))?;
    // Appends always go to the end, so truncating restarts the file.
    let restart = || file.set_len(0).map_err(|e| MirrorError::io(&partial, e));
    let fetcher = crate::dist::fetch::Fetcher::new(fetch.clone());
    let result: Result<(), MirrorError> = (|| {
        let mut sink = |chunk: &[u8]| std::io::Write::write_all(&mut &file, chunk);
        match job {
            Job::Module {
                version, platform, ..
            } => {
                let p = proxy_for(proxy, platform);
                let loc = p.locate(version, reporter)?;
                match &loc {
                    ZipLocation::Path(path) => {
                        restart()?;
                        let mut src = fs::File::open(path).map_err(|e| MirrorError::io(path, e))?;
                        std::io::copy(&mut src, &mut &file)
                            .map_err(|e| MirrorError::io(&partial, e))?;
                    }
                    // No credentials in the URL: resumable, and its errors show nothing secret.
                    ZipLocation::Url { public, fetch } if public == fetch => {
                        fetcher.download_file_from(public, offset, None, reporter, &mut sink)?;
                    }
                    ZipLocation::Url { .. } => {
                        restart()?;
                        p.download(&loc, reporter, &mut sink)?;
                    }
                }
            }
            Job::Archive { located, .. } => match &located.location {
                ArchiveLocation::Path(path) => {
                    restart()?;
                    copy_local(path, located.size, reporter, &mut sink).map_err(Failed::flatten)?;
                }
                ArchiveLocation::Url(url) => {
                    fetcher.download_file_from(url, offset, located.size, reporter, &mut sink)?;
                }
            },
        }
        Ok(())
    })();
    if let Err(e) = result {
        // A continued download that fails starts over next time.
        if offset > 0 {
            drop(file);
            let _ = fs::remove_file(&partial);
        }
        return Err(e);
    }
    file.sync_all().map_err(|e| MirrorError::io(&partial, e))?;
    Ok(partial)
}

fn proxy_for<'p>(proxy: &GoProxy<'p>, platform: &Platform) -> GoProxy<'p> {
    proxy.for_platform(platform.clone())
}

/// Checks a downloaded job against its anchors and gives it its final name.
fn settle(
    kit: &Kit,
    db: &Database,
    proxy: &GoProxy,
    store: &TreeStore,
    job: &Job,
    partial: &std::path::Path,
    reporter: &dyn Reporter,
) -> Result<(), MirrorError> {
    let final_path = kit.path(&job.final_rel());
    let discard = || {
        let _ = fs::remove_file(partial);
    };
    match job {
        Job::Module {
            version,
            module_version,
            platform,
        } => {
            reporter.start(
                &format!("checking {TOOLCHAIN_MODULE}@{module_version}"),
                None,
            );
            let got = zip_h1(partial).map_err(|e| MirrorError::io(partial, e))?;
            let p = proxy_for(proxy, platform);
            let (mod_bytes, mod_url) = p.get_file(&module_rel(module_version, "mod"), reporter)?;
            let (info, _) = p.get_file(&module_rel(module_version, "info"), reporter)?;
            let found = lookup(kit, db, proxy, store, TOOLCHAIN_MODULE, module_version)?;
            reporter.finish();
            if found.zip_h1 != got {
                discard();
                return Err(MirrorError::Mismatch {
                    what: format!("the module zip of go{version} for {platform}"),
                    module: format!("{TOOLCHAIN_MODULE}@{module_version}"),
                    got,
                    want: found.zip_h1,
                });
            }
            let got_mod = mod_h1(&mod_bytes);
            if found.mod_h1.as_deref().is_some_and(|w| w != got_mod) {
                discard();
                return Err(MirrorError::Mismatch {
                    what: mod_url,
                    module: format!("{TOOLCHAIN_MODULE}@{module_version}/go.mod"),
                    got: got_mod,
                    want: found.mod_h1.unwrap_or_default(),
                });
            }
            for (ext, data) in [("mod", &mod_bytes), ("info", &info)] {
                let p = kit.path(&module_rel(module_version, ext));
                write_atomic(&p, data).map_err(|e| MirrorError::io(&p, e))?;
            }
        }
        Job::Archive {
            version,
            located,
            platform,
        } => {
            reporter.start(&format!("checking {}", located.filename), None);
            let (sha, size) = sha256_file(partial).map_err(|e| MirrorError::io(partial, e))?;
            match &located.sha256 {
                Some(want) if *want != sha => {
                    discard();
                    return Err(MirrorError::Mismatch {
                        what: located.location.to_string(),
                        module: format!("its sha256 ({})", located.checksum.describe()),
                        got: sha,
                        want: want.clone(),
                    });
                }
                None if !distpack::has_module(version) => {
                    discard();
                    return Err(MirrorError::NoAnchor {
                        url: located.location.to_string(),
                    });
                }
                _ => {}
            }
            if distpack::has_module(version) {
                let mv = distpack::module_version(version, platform);
                let got = archive_h1(partial, &mv).map_err(|e| MirrorError::io(partial, e))?;
                let found = lookup(kit, db, proxy, store, TOOLCHAIN_MODULE, &mv)?;
                if found.zip_h1 != got {
                    discard();
                    return Err(MirrorError::Mismatch {
                        what: located.location.to_string(),
                        module: format!("{TOOLCHAIN_MODULE}@{mv}"),
                        got,
                        want: found.zip_h1,
                    });
                }
            }
            reporter.finish();
            let sidecar = kit.path(&format!("{}.sha256", located.filename));
            write_atomic(&sidecar, format!("{sha}\n").as_bytes())
                .map_err(|e| MirrorError::io(&sidecar, e))?;
            fs::rename(partial, &final_path).map_err(|e| MirrorError::io(&final_path, e))?;
            let art = Artifact {
                filename: located.filename.clone(),
                os: platform.os.clone(),
                arch: platform.arch.clone(),
                version: format!("go{version}"),
                sha256: sha,
                size,
                kind: "archive".into(),
            };
            let stable = !version.as_str().contains(['r', 'b']);
            return kit
                .add_to_index(&format!("go{version}"), stable, art)
                .map_err(|e| MirrorError::io(&kit.path("index.json"), e));
        }
    }
    fs::rename(partial, &final_path).map_err(|e| MirrorError::io(&final_path, e))
}

/// Looks a module version up in the checksum database (the kit's copy first, then the
/// proxy's), against gvr's stored tree head; the material it used enters the kit.
fn lookup(
    kit: &Kit,
    db: &Database,
    proxy: &GoProxy,
    store: &TreeStore,
    module: &str,
    version: &str,
) -> Result<sumdb::Lookup, MirrorError> {
    let upstream = proxy.sumdb_remote(db, &crate::report::Silent);
    let remote = Collecting::new(kit, &db.name, &upstream);
    match Client::new(db, &remote, store).lookup(module, version) {
        Ok(l) => {
            remote
                .commit()
                .map_err(|e| MirrorError::io(&kit.path("sumdb"), e))?;
            Ok(l)
        }
        Err(e) => {
            remote.discard();
            Err(e.into())
        }
    }
}

/// `golang.org/toolchain/@v/list`: every module version whose zip the kit holds.
fn write_toolchain_list(kit: &Kit) -> Result<(), MirrorError> {
    let dir = kit.path(&format!("{}/@v", sumdb::escape(TOOLCHAIN_MODULE)));
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut versions: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".zip")
                .filter(|v| !v.starts_with('.'))
                .map(str::to_string)
        })
        .collect();
    versions.sort();
    let text: String = versions.iter().map(|v| format!("{v}\n")).collect();
    let list = dir.join("list");
    write_atomic(&list, text.as_bytes()).map_err(|e| MirrorError::io(&list, e))?;
    Ok(())
}

//! Installing one gopls build: under the build's lock, fetch a verified prebuilt from
//! the mirror or build from source into `tmp/`, check `gopls version`, write the
//! receipt beside the binary, then rename the whole directory into
//! `gopls/<vX>/go<version>/`, so a build appears only complete.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::build::{module_source, run_build, BuildFailure, BuildRequest};
use super::fetch::{fetch_prebuilt, sha256_file};
use super::store::lock_name;
use super::{
    binary_name, build_binary_path, min_build_go, parse_version_output, GoplsError, GoplsVersion,
    MODULE,
};
use crate::dist::durable;
use crate::dist::fetch::{FetchConfig, Fetcher};
use crate::dist::index::Platform;
use crate::dist::source::{parse_location, Location};
use crate::fsutil::{clean_staging, FileLock, Staging};
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::GoVersion;

/// How to install one build of `gopls` by Go `go` (whose GOROOT is `goroot`).
#[derive(Debug, Clone)]
pub struct InstallOptions<'a> {
    pub gopls: &'a GoplsVersion,
    pub go: &'a GoVersion,
    pub goroot: &'a Path,
    /// Where prebuilt binaries may come from (`--mirror` / `GVR_MIRROR`).
    pub mirror: Option<&'a str>,
    /// Build even when the mirror has a prebuilt binary.
    pub from_source: bool,
    /// Replace an existing build.
    pub force: bool,
    /// No network: skip an http(s) mirror and build with `GOPROXY=off`.
    pub offline: bool,
    /// Extra environment for the go command (see [`BuildRequest::extra_env`]).
    pub extra_env: &'a [(OsString, OsString)],
}

/// How the installed binary was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstalledFrom {
    /// It was already there; nothing changed.
    AlreadyInstalled,
    Built {
        proxy: String,
        sumdb: String,
    },
    Mirror {
        url: String,
        sidecar: String,
    },
}

#[derive(Debug, Clone)]
pub struct Installed {
    pub path: PathBuf,
    pub sha256: Option<String>,
    pub from: InstalledFrom,
}

/// Installs the build, or finds it already installed. Two processes installing the same
/// build end with one copy and both succeed: the second waits for the lock, then sees
/// the first's result.
pub fn install(
    home: &GvrHome,
    opts: &InstallOptions<'_>,
    reporter: &dyn Reporter,
) -> Result<Installed, GoplsError> {
    let (gopls, go) = (opts.gopls, opts.go);
    let final_bin = build_binary_path(home, gopls, go);
    if final_bin.is_file() && !opts.force {
        return Ok(Installed {
            path: final_bin,
            sha256: None,
            from: InstalledFrom::AlreadyInstalled,
        });
    }
    let req = BuildRequest {
        gopls,
        goroot: opts.goroot,
        go,
        extra_env: opts.extra_env,
        offline: opts.offline,
    };
    let go_bin = req.go_binary();
    if !go_bin.is_file() {
        return Err(GoplsError::NoGoBinary {
            goroot: opts.goroot.to_path_buf(),
            bin: go_bin,
            go: go.clone(),
        });
    }

    let name = lock_name(gopls, go);
    let lock_path = home.lock_path(&name);
    let _lock = FileLock::acquire(&lock_path, || {
        reporter.note(&format!(
            "waiting for another gvr installing gopls {gopls} for go{go} (lock {})",
            lock_path.display()
        ))
    })
    .map_err(GoplsError::io("cannot lock", &lock_path))?;
    if final_bin.is_file() && !opts.force {
        return Ok(Installed {
            path: final_bin,
            sha256: None,
            from: InstalledFrom::AlreadyInstalled,
        });
    }
    // The shared tmp/ rule: only leftovers of dead processes go, never a live stage.
    let tmp = home.tmp_dir();
    clean_staging(&tmp);
    let area = Staging::new(&tmp, "gopls").map_err(GoplsError::io("cannot create", &tmp))?;
    let staging = area.path();
    std::fs::create_dir_all(&staging).map_err(GoplsError::io("cannot create", &staging))?;
    // Dropping `area` afterwards removes whatever the commit did not move away.
    stage_and_commit(home, opts, &req, &staging, reporter)
}

fn stage_and_commit(
    home: &GvrHome,
    opts: &InstallOptions<'_>,
    req: &BuildRequest<'_>,
    staging: &Path,
    reporter: &dyn Reporter,
) -> Result<Installed, GoplsError> {
    let (gopls, go) = (opts.gopls, opts.go);
    let staged = staging.join(binary_name());
    let mut from = None;
    let mut fetched_sha = None;

    if let (Some(m), false) = (opts.mirror, opts.from_source) {
        let mirror = parse_location(m)?;
        if opts.offline && matches!(mirror, Location::Http(_)) {
            reporter.note(&format!("offline: not asking {m} for a prebuilt gopls"));
        } else {
            reporter.start(
                &format!("fetching prebuilt gopls {gopls} for go{go} from {m}"),
                None,
            );
            let fetcher = Fetcher::new(FetchConfig::from_env(opts.offline));
            let fetched = fetch_prebuilt(&fetcher, &mirror, gopls, go, &staged, reporter);
            reporter.finish();
            match fetched? {
                Some(f) => {
                    make_executable(&staged)?;
                    fetched_sha = Some(f.sha256);
                    from = Some(InstalledFrom::Mirror {
                        url: f.url,
                        sidecar: f.sidecar,
                    });
                }
                None => reporter.note(&format!(
                    "{m} has no prebuilt gopls {gopls} for go{go}; building from source"
                )),
            }
        }
    }

    let from = match from {
        Some(f) => f,
        None => {
            let (needs, why) = min_build_go(gopls);
            if *go < needs {
                return Err(too_old(home, gopls, go, needs, why));
            }
            let (proxy, sumdb) = module_source(req, staging)?;
            reporter.start(
                &format!("building gopls {gopls} with go{go} (GOPROXY={proxy})"),
                None,
            );
            let built = run_build(req, staging);
            reporter.finish();
            match built {
                Ok(_) => {}
                Err(BuildFailure::TooOld { needs, line }) => {
                    return Err(too_old(home, gopls, go, needs, format!("go said: {line}")))
                }
                Err(BuildFailure::Other(e)) => return Err(e),
            }
            InstalledFrom::Built { proxy, sumdb }
        }
    };

    check_version(&staged, gopls)?;
    let sha256 = match fetched_sha {
        Some(s) => s,
        None => sha256_file(&staged)?,
    };
    write_receipt(staging, gopls, go, &sha256, &from)?;
    commit(home, staging, gopls, go, opts.force)?;
    Ok(Installed {
        path: build_binary_path(home, gopls, go),
        sha256: Some(sha256),
        from,
    })
}

/// The too-old error with the best fix we know: an installed SDK that is new enough,
/// else the `gvr install` that gets one.
fn too_old(
    home: &GvrHome,
    gopls: &GoplsVersion,
    go: &GoVersion,
    needs: GoVersion,
    why: String,
) -> GoplsError {
    let floor = needs.as_release_floor();
    let candidate = home
        .installed_versions()
        .unwrap_or_default()
        .into_iter()
        .find(|v| *v >= floor && v.is_stable());
    let fix = match candidate {
        Some(v) => format!("build it with an SDK that is new enough: `gvr gopls install {gopls} --with-go {v}`"),
        None => format!(
            "install a new enough Go and build with it: `gvr install {m}` then `gvr gopls install {gopls} --with-go {m}`",
            m = floor.lang()
        ),
    };
    GoplsError::GoTooOld {
        gopls: gopls.clone(),
        go: go.clone(),
        needs,
        why,
        fix,
    }
}

fn make_executable(path: &Path) -> Result<(), GoplsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(GoplsError::io("cannot chmod", path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Runs `<binary> version` and checks it names `expected`.
fn check_version(binary: &Path, expected: &GoplsVersion) -> Result<(), GoplsError> {
    let out = Command::new(binary)
        .arg("version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| GoplsError::Spawn {
            program: binary.to_path_buf(),
            source,
        })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let bad = || GoplsError::BadVersionOutput {
        binary: binary.to_path_buf(),
        status: out.status.to_string(),
        output: text.clone(),
    };
    if !out.status.success() {
        return Err(bad());
    }
    let actual = parse_version_output(&text).ok_or_else(bad)?;
    if actual != *expected {
        return Err(GoplsError::WrongVersion {
            binary: binary.to_path_buf(),
            expected: expected.clone(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

fn write_receipt(
    staging: &Path,
    gopls: &GoplsVersion,
    go: &GoVersion,
    sha256: &str,
    from: &InstalledFrom,
) -> Result<(), GoplsError> {
    let (source, verified) = match from {
        InstalledFrom::Built { proxy, sumdb } => (
            format!("built from {MODULE}@{gopls} via GOPROXY={proxy}"),
            format!("module downloads checked by go against go.sum data from GOSUMDB={sumdb}"),
        ),
        InstalledFrom::Mirror { url, sidecar } => (url.clone(), format!("sha256 from {sidecar}")),
        InstalledFrom::AlreadyInstalled => unreachable!("only new builds get a receipt"),
    };
    let receipt = serde_json::json!({
        "gopls_version": gopls.as_str(),
        "go_version": go.as_str(),
        "sha256": sha256,
        "source": source,
        "verified": verified,
        "platform": Platform::current().to_string(),
        "installed_at": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "gvr_version": crate::GVR_VERSION,
    });
    let path = staging.join("receipt.json");
    let text = serde_json::to_string_pretty(&receipt).map_err(|e| GoplsError::Receipt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&path, text + "\n").map_err(GoplsError::io("cannot write", &path))
}

/// Puts the complete build in place as SDK installs do: flushed to disk, then one
/// rename (for a forced reinstall, or over a directory without a binary, an atomic
/// swap whose old tree is left in `staging` to be deleted with it), then the rename
/// flushed. Called with the build's lock held.
fn commit(
    home: &GvrHome,
    staging: &Path,
    gopls: &GoplsVersion,
    go: &GoVersion,
    force: bool,
) -> Result<(), GoplsError> {
    let dest = home.gopls_build_dir(gopls.as_str(), go);
    if dest.exists() && !force && dest.join(binary_name()).is_file() {
        return Ok(());
    }
    let parent = dest.parent().unwrap_or(&dest);
    std::fs::create_dir_all(parent).map_err(GoplsError::io("cannot create", parent))?;
    // Only where the OS cannot swap does the old build pass through here.
    let tmp = home.tmp_dir();
    let trash = Staging::new(&tmp, "gopls").map_err(GoplsError::io("cannot create", &tmp))?;
    durable::publish_dir(staging, &dest, &trash.entry("trash"))
        .map_err(GoplsError::io("cannot move the build into", &dest))
}

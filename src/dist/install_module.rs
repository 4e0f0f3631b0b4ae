//! Installing a release from a GOPROXY: the toolchain module zip is downloaded (or read
//! in place from a `file://` proxy), unpacked into the stage with its `h1:` computed in
//! the same pass, checked against the checksum database, and committed like any
//! install. GOSUMDB=off / GONOSUMDB refuse unless `--allow-unverified`, as the go
//! command refuses to switch toolchains then — except from a single `file://` proxy.

// Errors carry the version, URL and hashes users need; they happen once per command.
#![allow(clippy::result_large_err)]

use std::fs::File;
use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::distpack::TOOLCHAIN_MODULE;
use super::goproxy::{modzip, GoProxy, ProxyError, ZipLocation};
use super::install::{claim, io_error, InstallError, InstallOptions, InstallOutcome, Stage};
use super::receipt::{ChecksumSource, Receipt};
use super::trust::{Anchor, Checked, Skipped};
use super::unpack;
use crate::home::GvrHome;
use crate::report::Reporter;
use crate::version::GoVersion;

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error("unpacking {url}: {source}")]
    Unpack {
        url: String,
        source: modzip::ModZipError,
    },
    #[error("{why}, so nothing vouches for {module}; refusing to install it. Pass --allow-unverified to install it anyway, or re-enable the checksum database")]
    SumdbDisabled { why: Skipped, module: String },
    #[error("the checksum database cannot be reached ({why}), so nothing vouches for {module} from {url}; nothing was installed. Check GOPROXY/GOSUMDB and the network, or pass --allow-unverified")]
    SumdbUnreachable {
        why: String,
        module: String,
        url: String,
    },
}

/// Installs `version` from the GOPROXY.
pub fn install_from_proxy(
    home: &GvrHome,
    proxy: &GoProxy,
    version: &GoVersion,
    opts: &InstallOptions,
    reporter: &dyn Reporter,
) -> Result<InstallOutcome, InstallError> {
    let version = &version.release_name();
    let Some(_lock) = claim(home, version, opts.force, reporter)? else {
        return Ok(InstallOutcome::already_installed(home, version));
    };
    let dest = home.version_dir(version);
    let module = format!("{TOOLCHAIN_MODULE}@{}", proxy.module_version(version));
    let trust = opts.trust.as_deref();
    // Refuse before downloading when nothing could vouch for the module (no database
    // settings at all counts as GOSUMDB=off).
    let skipped = match trust {
        Some(t) => t.skipped(),
        None => Some(Skipped::Off),
    };
    if let Some(why) = &skipped {
        if !opts.allow_unverified && !proxy.is_single_file_proxy() {
            return Err(ModuleError::SumdbDisabled {
                why: why.clone(),
                module,
            }
            .into());
        }
    }
    let loc = proxy.locate(version, reporter).map_err(ModuleError::from)?;
    let url = loc.to_string();
    let stage = Stage::new(home)?;
    let (zip_path, sha256, size) = match &loc {
        ZipLocation::Path(p) => {
            reporter.start(&format!("reading {url}"), None);
            let (sha, size) = sha256_file(p).map_err(|e| io_error(p, e))?;
            reporter.finish();
            (p.clone(), sha, size)
        }
        ZipLocation::Url { .. } => {
            reporter.start(&format!("downloading {url}"), None);
            let mut file = File::create(&stage.partial).map_err(|e| io_error(&stage.partial, e))?;
            let mut hasher = Sha256::new();
            let size = proxy
                .download(&loc, reporter, &mut |chunk| {
                    hasher.update(chunk);
                    reporter.advance(chunk.len() as u64);
                    file.write_all(chunk)
                })
                .map_err(ModuleError::from)?;
            reporter.finish();
            (stage.partial.clone(), hex::encode(hasher.finalize()), size)
        }
    };

    reporter.start("unpacking", None);
    let prefix = format!("{module}/");
    let unpacked =
        modzip::unpack(&zip_path, &prefix, &stage.dir).map_err(|source| ModuleError::Unpack {
            url: url.clone(),
            source,
        })?;
    reporter.finish();

    let mut warnings = Vec::new();
    let anchor = match (trust, &skipped) {
        (_, Some(why)) => {
            let anchor = if proxy.is_single_file_proxy() {
                Anchor::FileProxy
            } else {
                Anchor::Unverified
            };
            warnings.push(format!(
                "{module} was not checked against the checksum database ({why})"
            ));
            anchor
        }
        (Some(t), None) => {
            let what = format!("{module} from {url}");
            match t.check(home, proxy, version, &unpacked.h1, &what, reporter)? {
                Checked::Verified(a) => a,
                Checked::Skipped(_) => unreachable!("skipped() was None"),
                Checked::Unreachable(why) if opts.allow_unverified && !t.require => {
                    warnings.push(format!(
                        "the checksum database cannot be reached ({why}); {module} installed UNVERIFIED"
                    ));
                    Anchor::Unverified
                }
                Checked::Unreachable(why) => {
                    return Err(ModuleError::SumdbUnreachable { why, module, url }.into())
                }
            }
        }
        (None, None) => unreachable!("no trust settings count as skipped"),
    };

    reporter.start("checking VERSION", None);
    unpack::check_version_file(&stage.dir, version).map_err(|e| InstallError::Unpack {
        url: url.clone(),
        source: e,
    })?;
    reporter.finish();

    let receipt = Receipt {
        version: version.to_string(),
        url: url.clone(),
        sha256: sha256.clone(),
        checksum_source: if anchor == Anchor::Unverified || anchor == Anchor::FileProxy {
            ChecksumSource::Unverified.kind().to_string()
        } else {
            "sumdb".to_string()
        },
        checksum_url: None,
        size,
        source: Some(format!("goproxy {}", proxy.setting())),
        anchor: Some(anchor.kind().to_string()),
        module_h1: Some(unpacked.h1.clone()),
        toolchain_module: true,
        installed_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        gvr_version: crate::GVR_VERSION.to_string(),
    };
    stage.write_receipt(&receipt)?;
    stage.commit(home, &dest)?;
    Ok(InstallOutcome {
        version: version.clone(),
        path: dest,
        already_installed: false,
        checksum: None,
        sha256: Some(sha256),
        url: Some(url),
        from_download_cache: false,
        anchor: Some(anchor),
        source: Some(format!("the GOPROXY {}", proxy.setting())),
        toolchain_module: true,
        warnings,
    })
}

fn sha256_file(path: &std::path::Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((hex::encode(h.finalize()), size));
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
}

//! The checks an unpacked archive gets before it is committed, beyond its sha256: for
//! releases Go published as a toolchain module, the module-covered files' `h1:` against
//! the checksum database; and which anchor the install ends up with.

// Errors carry the version, URL and digests users need; they happen once per command.
#![allow(clippy::result_large_err)]

use std::path::Path;

use super::install::{InstallError, InstallOptions};
use super::receipt::ChecksumSource;
use super::source::{Located, Source};
use super::trust::{self, Anchor, Checked, TrustError};
use crate::home::GvrHome;
use crate::report::Reporter;

/// How an unpacked archive was anchored.
pub(super) struct ArchiveCheck {
    pub(super) anchor: Anchor,
    pub(super) module_h1: Option<String>,
    pub(super) toolchain_module: bool,
    pub(super) warnings: Vec<String>,
}

/// For releases Go published as a toolchain module, hashes the unpacked archive's
/// module-covered files and checks them against the checksum database, so no source
/// can swap a release Go published. Older releases, an unreachable database (unless
/// GVR_SUMDB=require) and GOSUMDB=off keep the sha256 anchor.
pub(super) fn check_archive(
    home: &GvrHome,
    source: &Source,
    located: &Located,
    dir: &Path,
    opts: &InstallOptions,
    reporter: &dyn Reporter,
) -> Result<ArchiveCheck, InstallError> {
    let fallback = match &located.checksum {
        ChecksumSource::Unverified => Anchor::Unverified,
        ChecksumSource::Index { .. } => Anchor::GoDevIndex,
        _ => Anchor::MirrorAsserted,
    };
    let mut out = check_against_sumdb(home, source, located, dir, opts, &fallback, reporter)?;
    if out.anchor == Anchor::MirrorAsserted && source.is_plain_http() {
        out.warnings.push(format!(
            "{} vouches for its own archive over plain http; anyone on the path could have changed both",
            source.name()
        ));
    }
    Ok(out)
}

fn check_against_sumdb(
    home: &GvrHome,
    source: &Source,
    located: &Located,
    dir: &Path,
    opts: &InstallOptions,
    fallback: &Anchor,
    reporter: &dyn Reporter,
) -> Result<ArchiveCheck, InstallError> {
    let version = &located.version;
    let mut out = ArchiveCheck {
        anchor: fallback.clone(),
        module_h1: None,
        toolchain_module: false,
        warnings: Vec::new(),
    };
    let (Some(trust), true) = (&opts.trust, trust::archive_checkable(version)) else {
        return Ok(out);
    };
    // GOSUMDB=off (or GVR_SUMDB=off) is the user's choice: the sha256 anchor stands,
    // and the receipt's anchor says which it was.
    if trust.skipped().is_some() {
        return Ok(out);
    }
    let platform = source.platform();
    let mv = super::distpack::module_version(version, platform);
    reporter.start("hashing the module-covered files", None);
    let tree = super::distpack::hash_tree(dir, &mv, &[".gvr"]).map_err(|source| {
        InstallError::TreeHash {
            version: version.clone(),
            source,
        }
    })?;
    reporter.finish();
    out.module_h1 = Some(tree.h1.clone());
    let http = trust.http();
    let proxy = super::goproxy::GoProxy::from_env(&trust.env, &gvr_core::process::OsProcess, &http)
        .map_err(TrustError::from)?;
    let what = format!("{} from {}", located.filename, source.name());
    match trust.check(home, &proxy, version, &tree.h1, &what, reporter)? {
        Checked::Verified(anchor) => {
            out.anchor = anchor;
            // Exactly the module's files: the toolchain module's cut of the release.
            out.toolchain_module = super::distpack::lacks_full_tree(dir);
        }
        Checked::Skipped(_) => unreachable!("handled above"),
        Checked::Unreachable(why) if trust.require => {
            return Err(InstallError::SumdbRequired {
                why,
                fallback: fallback.kind().to_string(),
            })
        }
        Checked::Unreachable(why) => out.warnings.push(format!(
            "the checksum database cannot be reached ({why}); go{version} is anchored by {} only (GVR_SUMDB=require makes this an error)",
            fallback.kind()
        )),
    }
    Ok(out)
}

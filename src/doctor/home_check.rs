//! `gvr-home`: gvr's own state is sound: no leftovers of dead processes in `tmp/`,
//! every install has its receipt, and the shims are the ones this gvr would write.

use std::path::{Path, PathBuf};

use super::{Check, Facts, Fix, Probe};
use crate::toolchain::SHIMMED_TOOLS;

const ID: &str = "gvr-home";

pub(super) fn gvr_home(f: &Facts) -> Check {
    let home = &f.probe.home;
    let mut found = Vec::new();
    let tmp = home.tmp_dir();
    let dead = crate::fsutil::dead_staging(&tmp);
    if !dead.is_empty() {
        found.push(
            Check::warn(
                ID,
                format!(
                    "{} holds what dead processes left: {}",
                    tmp.display(),
                    dead.join(", ")
                ),
                "gvr doctor --fix (removes them)",
            )
            .with_action(Fix::CleanStaging(tmp.clone())),
        );
    }
    let installed = home
        .installed_versions_in(f.probe.process)
        .unwrap_or_default();
    for v in &installed {
        if !f.probe.is_file(&home.receipt_path(v)) {
            found.push(Check::warn(
                ID,
                format!(
                    "go{v} at {} has no receipt: gvr cannot tell how it was verified",
                    home.version_dir(v).display()
                ),
                format!("gvr install {v} --force"),
            ));
        }
    }
    if let Some(problem) = stale_shims(f.probe, &installed) {
        found.push(
            Check::warn(ID, problem, "gvr rehash").with_action(Fix::Gvr(vec!["rehash".into()])),
        );
    }
    Check::merge(
        ID,
        format!(
            "{}: {} installed, shims current, no leftovers",
            home.root().display(),
            installed.len()
        ),
        found,
    )
}

/// The shim binary `gvr rehash` would link: `GVR_SHIM_BIN`, else `gvr-shim` next to
/// this gvr.
fn expected_shim(probe: &Probe) -> Option<PathBuf> {
    match probe.var_str("GVR_SHIM_BIN") {
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::current_exe().ok().map(|exe| {
            exe.with_file_name(format!(
                "{}{}",
                crate::shims::SHIM_BIN_NAME,
                std::env::consts::EXE_SUFFIX
            ))
        }),
    }
    .filter(|p| p.is_file())
}

/// Why the shims are not what this gvr's `rehash` writes, if they are not.
fn stale_shims(probe: &Probe, installed: &[crate::GoVersion]) -> Option<String> {
    let home = &probe.home;
    let shims = home.shims_dir();
    let shim_bin = expected_shim(probe)?;
    // An empty GVR_SHIM_FAST_BIN turns the fast shim off, as for `gvr rehash`.
    let fast = if probe.var("GVR_SHIM_FAST_BIN").is_some_and(|v| v.is_empty()) {
        None
    } else {
        crate::shims::find_fast_shim_binary(&shim_bin)
    };
    let exe = std::env::consts::EXE_SUFFIX;
    for tool in SHIMMED_TOOLS {
        let entry = shims.join(format!("{tool}{exe}"));
        let (want, entry) = match &fast {
            Some(fast) => {
                let full = home.full_shims_dir().join(tool);
                if !same_contents(&full, &shim_bin) {
                    return Some(format!(
                        "{} is not the gvr-shim at {} (the shims predate this gvr)",
                        full.display(),
                        shim_bin.display()
                    ));
                }
                (fast.clone(), entry)
            }
            None => (shim_bin.clone(), entry),
        };
        if entry.exists() && !same_contents(&entry, &want) {
            return Some(format!(
                "{} is not the shim at {} (the shims predate this gvr)",
                entry.display(),
                want.display()
            ));
        }
    }
    for v in installed.iter().filter(|v| !v.is_lang() || v.minor() < 21) {
        let entry = shims.join(crate::shims::version_entry_name(v));
        if !probe.is_file(&entry) {
            return Some(format!(
                "{} is missing: go's GOTOOLCHAIN=go{v} cannot find gvr's go{v}",
                entry.display()
            ));
        }
    }
    None
}

/// The same file (a hard link) or the same bytes (a copy).
fn same_contents(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (ma.dev(), ma.ino()) == (mb.dev(), mb.ino()) {
            return true;
        }
    }
    ma.len() == mb.len() && matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::{Facts, Status};
    use super::*;

    #[test]
    fn healthy_home() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        let shim = w.fake_tool("bin", "gvr-shim");
        let w = w
            .env("GVR_SHIM_BIN", shim.as_os_str())
            .env("GVR_SHIM_FAST_BIN", "");
        for t in SHIMMED_TOOLS
            .iter()
            .map(|t| t.to_string())
            .chain(["go1.22.6".into()])
        {
            std::fs::copy(&shim, w.home.shims_dir().join(t)).unwrap();
        }
        let c = gvr_home(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }

    #[test]
    fn leftovers_missing_receipts_and_stale_shims() {
        let w = World::new().installed("1.22.6").pinned("1.22.6");
        let shim = w.fake_tool("bin", "gvr-shim");
        std::fs::write(&shim, "#!/bin/sh\n# a newer shim\n").unwrap();
        let w = w
            .env("GVR_SHIM_BIN", shim.as_os_str())
            .env("GVR_SHIM_FAST_BIN", "");
        let tmp = w.home.tmp_dir();
        std::fs::create_dir_all(tmp.join("install-4242-abc")).unwrap();
        std::fs::remove_file(w.home.receipt_path(&"1.22.6".parse().unwrap())).unwrap();
        let c = gvr_home(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("install-4242-abc"), "{c:?}");
        assert!(
            c.summary.contains("go1.22.6") && c.summary.contains("no receipt"),
            "{c:?}"
        );
        assert!(c.summary.contains("predate this gvr"), "{c:?}");
        assert!(c.actions.contains(&Fix::CleanStaging(tmp)));
        assert!(c.actions.contains(&Fix::Gvr(vec!["rehash".into()])));
    }
}

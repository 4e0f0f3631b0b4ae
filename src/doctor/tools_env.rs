//! `goproxy` and `caches`: the module download settings in effect let go (and gopls)
//! fetch and verify modules, and the build and module caches are usable.

use std::path::{Path, PathBuf};

use super::goenv::Source;
use super::{Check, Facts, Options};
use crate::workspace::{CachePolicy, Workspace};

pub(super) fn goproxy(f: &Facts, opts: &Options) -> Check {
    const ID: &str = "goproxy";
    let get = |k: &str| f.goenv.effective(f.probe, k);
    let mut found = Vec::new();
    let proxy = get("GOPROXY");
    if let Some(v) = proxy.as_ref().filter(|v| v.value.trim() == "off") {
        found.push(Check::warn(
            ID,
            format!(
                "GOPROXY=off (from {}): go cannot download any module",
                v.source
            ),
            how_to_change("GOPROXY", &v.source),
        ));
    }
    if let Some(v) = get("GOSUMDB").filter(|v| v.value.trim() == "off") {
        found.push(Check::warn(
            ID,
            format!(
                "GOSUMDB=off (from {}): downloaded modules are not checked against the checksum database",
                v.source
            ),
            how_to_change("GOSUMDB", &v.source),
        ));
    }
    for key in ["GONOSUMDB", "GOPRIVATE"] {
        if let Some(v) =
            get(key).filter(|v| v.value.split(',').any(|p| matches!(p.trim(), "*" | "*/*")))
        {
            found.push(Check::warn(
                ID,
                format!(
                    "{key}={} (from {}) matches every module: nothing is checked against the checksum database",
                    v.value, v.source
                ),
                how_to_change(key, &v.source),
            ));
        }
    }
    if let Some(v) = get("GOFLAGS") {
        let vendor = v
            .value
            .split_whitespace()
            .any(|fl| matches!(fl, "-mod=vendor" | "--mod=vendor"));
        let module_dir = f
            .requirements
            .as_ref()
            .and_then(|(p, _)| p.parent().map(Path::to_path_buf));
        if let Some(dir) = module_dir.filter(|d| vendor && !f.probe.is_dir(&d.join("vendor"))) {
            found.push(Check::error(
                ID,
                format!(
                    "GOFLAGS={} (from {}) asks for -mod=vendor but {} has no vendor directory",
                    v.value,
                    v.source,
                    dir.display()
                ),
                format!(
                    "run `go mod vendor` there, or {}",
                    how_to_change("GOFLAGS", &v.source)
                ),
            ));
        }
    }
    let shown = proxy
        .as_ref()
        .map(|v| format!("GOPROXY={} (from {})", v.value, v.source))
        .unwrap_or_else(|| "GOPROXY is Go's default".into());
    if opts.network {
        if let Some(problem) = proxy.as_ref().and_then(|v| probe_proxy(&v.value)) {
            found.push(Check::warn(
                ID,
                problem,
                "check the proxy URL and your network",
            ));
        }
    }
    Check::merge(ID, format!("{shown}; checksums are verified"), found)
}

/// How to change `key` where it is set.
fn how_to_change(key: &str, source: &Source) -> String {
    match source {
        Source::Env => format!("unset {key} (or export {key}=…) in your shell startup file"),
        Source::EnvFile(_) => format!("go env -u {key}"),
        Source::GoRootEnv(p) => format!(
            "set {key} with `go env -w` ({} belongs to the SDK)",
            p.display()
        ),
    }
}

/// Asks the first proxy of a GOPROXY list for a small module list; a problem, if any.
fn probe_proxy(list: &str) -> Option<String> {
    let first = list.split([',', '|']).map(str::trim).next()?;
    if matches!(first, "direct" | "off" | "") {
        return None;
    }
    if let Some(path) = first.strip_prefix("file://") {
        return (!Path::new(path).is_dir())
            .then(|| format!("GOPROXY names {first}, which is not a directory"));
    }
    let url = format!("{}/golang.org/x/mod/@v/list", first.trim_end_matches('/'));
    let mut cfg = crate::dist::fetch::FetchConfig::from_env(false);
    cfg.attempts = 1;
    cfg.connect_timeout = std::time::Duration::from_secs(5);
    cfg.read_timeout = std::time::Duration::from_secs(10);
    let fetcher = crate::dist::fetch::Fetcher::new(cfg);
    match fetcher.get_small(&url, None, &crate::report::Silent) {
        Ok(_) => None,
        Err(e) => Some(format!("the module proxy does not answer: {e}")),
    }
}

/// Whether files can be created in `dir`, or in its nearest existing ancestor when it
/// does not exist yet (go creates it).
fn writable(dir: &Path) -> Result<(), String> {
    let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(dir);
    if !existing.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".gvr-doctor-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "cannot create files in {}: {e}",
            existing.display()
        )),
    }
}

pub(super) fn caches(f: &Facts) -> Check {
    const ID: &str = "caches";
    let mut found = Vec::new();
    // GOCACHE: the user's (environment, go's env file), else what the shims set: this
    // workspace's own cache, or with GVR_GOCACHE=shared go's default.
    let (gocache, why): (Option<PathBuf>, String) = match f.goenv.user_value(f.probe, "GOCACHE") {
        Some(v) if v.value == "off" => {
            found.push(Check::error(
                ID,
                format!(
                    "GOCACHE=off (from {}): go cannot build without a cache",
                    v.source
                ),
                "unset GOCACHE (or `go env -u GOCACHE`)",
            ));
            (None, String::new())
        }
        Some(v) => (Some(PathBuf::from(&v.value)), format!("from {}", v.source)),
        None => match &f.here {
            Some(here) => {
                let ws = Workspace::find(&f.probe.home, here);
                match ws.cache_policy {
                    CachePolicy::PerWorkspace => (
                        Some(ws.gocache),
                        "this workspace's, set by the shims".into(),
                    ),
                    CachePolicy::Shared => (
                        f.probe.user_cache_dir().map(|d| d.join("go-build")),
                        "go's default".into(),
                    ),
                }
            }
            None => (None, String::new()),
        },
    };
    // GOMODCACHE: the user's, else GOPATH's first entry + /pkg/mod, GOPATH defaulting to ~/go.
    let gomodcache = f
        .goenv
        .user_value(f.probe, "GOMODCACHE")
        .map(|v| PathBuf::from(v.value))
        .or_else(|| {
            let gopath = f
                .goenv
                .user_value(f.probe, "GOPATH")
                .and_then(|v| std::env::split_paths(&v.value).next())
                .or_else(|| f.probe.user_home().map(|h| h.join("go")))?;
            Some(gopath.join("pkg").join("mod"))
        });
    let mut shown = Vec::new();
    for (name, dir, why) in [
        ("GOCACHE", gocache, why),
        ("GOMODCACHE", gomodcache, "go's default".to_string()),
    ] {
        let Some(dir) = dir else { continue };
        if !dir.is_absolute() {
            found.push(Check::error(
                ID,
                format!(
                    "{name}={} is not an absolute path: go refuses it",
                    dir.display()
                ),
                format!("set {name} to an absolute path, or unset it"),
            ));
            continue;
        }
        match writable(&dir) {
            Ok(()) => shown.push(format!("{name}={} ({why})", dir.display())),
            Err(problem) => found.push(Check::error(
                ID,
                format!("{name}={} ({why}): {problem}", dir.display()),
                format!("fix the permissions, or point {name} at a writable directory"),
            )),
        }
    }
    Check::merge(ID, format!("{} are writable", shown.join(" and ")), found)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::World;
    use super::super::{Facts, Options, Status};
    use super::*;

    fn world() -> World {
        World::new().installed("1.24.11").pinned("1.24.11")
    }

    #[test]
    fn goproxy_defaults_are_fine() {
        let w = world();
        let c = goproxy(&Facts::gather(&w.probe()), &Options::default());
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.summary
                .contains("GOPROXY=https://proxy.golang.org,direct"),
            "{c:?}"
        );
    }

    #[test]
    fn proxy_off_sumdb_off_and_vendor_without_vendor() {
        let w = world();
        w.write("go.mod", "module m\n\ngo 1.24\n");
        w.go_env_file("GOPROXY=off\nGOSUMDB=off\n");
        let w = w.env("GOFLAGS", "-mod=vendor");
        let c = goproxy(&Facts::gather(&w.probe()), &Options::default());
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("GOPROXY=off"), "{c:?}");
        assert!(c.summary.contains("GOSUMDB=off"), "{c:?}");
        assert!(c.summary.contains("no vendor directory"), "{c:?}");
        assert!(c.fix.unwrap().contains("go env -u GOPROXY"));
        std::fs::create_dir(w.cwd.join("vendor")).unwrap();
        let c = goproxy(&Facts::gather(&w.probe()), &Options::default());
        assert_eq!(c.status, Status::Warn);
    }

    #[test]
    fn caches_writable_or_not() {
        let w = world();
        let c = caches(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.summary.contains("this workspace's"), "{c:?}");
        let w = w.env("GOCACHE", "relative/cache");
        let c = caches(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        let w = world();
        let file = w.write("not-a-dir", "");
        let w = w.env("GOMODCACHE", file.join("mod"));
        let c = caches(&Facts::gather(&w.probe()));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("is not a directory"), "{c:?}");
    }
}

//! The project a command runs in: its root, the go.work that applies and its GOCACHE.
//!
//! Root: the directory of the go.work in effect, else of the nearest `.go-version` (or
//! `.tool-versions` pin), else of the nearest go.mod, else the current directory. Each
//! root gets its own GOCACHE under `$GVR_CACHE_DIR/gocache/<name>-<hash>`, so projects
//! on different Go versions never evict each other's build cache.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::here::Here;
use crate::home::GvrHome;

/// The marker a shim refreshes in a workspace cache so `gvr cache prune` knows when it
/// was last used. It holds the workspace root, for `gvr cache list`.
pub const USED_MARKER: &str = ".gvr-used";

/// How often the marker is rewritten at most: a stat per call, a write per hour.
const USED_MARKER_REFRESH: Duration = Duration::from_secs(3600);

/// Whether workspaces share the user's GOCACHE or get their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// One GOCACHE per workspace (the default).
    PerWorkspace,
    /// `GVR_GOCACHE=shared`: leave GOCACHE to the go command's default.
    Shared,
}

impl CachePolicy {
    pub fn from_env(value: Option<&std::ffi::OsStr>) -> CachePolicy {
        match value {
            Some(v) if v == "shared" => CachePolicy::Shared,
            _ => CachePolicy::PerWorkspace,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub root: PathBuf,
    /// The absolute go.work that applies here (GOWORK honoured), if any.
    pub gowork: Option<PathBuf>,
    /// This workspace's own GOCACHE directory (used unless the policy or the user says
    /// otherwise: the tool environment decides).
    pub gocache: PathBuf,
    pub cache_policy: CachePolicy,
}

impl Workspace {
    /// The workspace for `here` (`GVR_GOCACHE` read through `here.process`).
    pub fn find(home: &GvrHome, here: &Here) -> Workspace {
        let gowork = here.go_work();
        let root = gowork
            .as_deref()
            .and_then(Path::parent)
            .or_else(|| here.files.pin.as_ref().and_then(|p| p.path.parent()))
            .or_else(|| here.files.go_mod.as_deref().and_then(Path::parent))
            .unwrap_or(&here.cwd)
            .to_path_buf();
        let gocache = home.gocache_root().join(workspace_id(&root));
        Workspace {
            root,
            gowork,
            gocache,
            cache_policy: CachePolicy::from_env(here.process.var_os("GVR_GOCACHE").as_deref()),
        }
    }

    /// Records that this workspace's cache was used now, cheaply: one stat, and a small
    /// write at most once an hour. Errors are ignored: a read-only cache dir must not
    /// stop `go` from running.
    // A side effect after the decision, not an input of it: read directly.
    #[allow(clippy::disallowed_methods)]
    pub fn mark_used(&self) {
        let marker = self.gocache.join(USED_MARKER);
        let fresh = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .is_ok_and(|t| {
                SystemTime::now()
                    .duration_since(t)
                    .is_ok_and(|age| age < USED_MARKER_REFRESH)
            });
        if !fresh {
            let _ = std::fs::create_dir_all(&self.gocache);
            let mut text = self.root.as_os_str().to_string_lossy().into_owned();
            text.push('\n');
            let _ = std::fs::write(&marker, text);
        }
    }
}

/// `<root's name>-<first 12 hex digits of sha256(canonical root)>`: readable in
/// `gvr cache list`, unique per path.
///
/// On Unix `root` must already be canonical, and is: it is derived from getcwd or from a
/// GOWORK that [`Here::go_work`] resolved. Resolving it again would cost a syscall per
/// path component on every shim call.
pub fn workspace_id(root: &Path) -> String {
    #[cfg(unix)]
    let canonical = root;
    // Only where no fast shim replays records, so not a recorded input.
    #[cfg(not(unix))]
    #[allow(clippy::disallowed_methods)]
    let canonical = &root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name: String = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}-{hash}")
}

/// One per-workspace GOCACHE under `$GVR_CACHE_DIR/gocache`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceCache {
    pub id: String,
    pub path: PathBuf,
    /// The workspace root, as recorded by the shim that last used it.
    pub root: Option<PathBuf>,
    /// When a shim or the go command last touched it.
    pub last_used: SystemTime,
    /// Total size of the files in it.
    pub size: u64,
}

/// Every workspace cache, most recently used first.
// `gvr cache list`, not selection: read directly.
#[allow(clippy::disallowed_methods)]
pub fn list_caches(home: &GvrHome) -> std::io::Result<Vec<WorkspaceCache>> {
    let root = home.gocache_root();
    let entries = match std::fs::read_dir(&root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let marker = path.join(USED_MARKER);
        let recorded = std::fs::read_to_string(&marker).ok();
        // The dir's own mtime moves when go adds entries at the top (trim.txt, daily).
        let last_used = [path.as_path(), marker.as_path(), &path.join("trim.txt")]
            .iter()
            .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        out.push(WorkspaceCache {
            id: entry.file_name().to_string_lossy().into_owned(),
            root: recorded
                .map(|t| PathBuf::from(t.trim_end_matches(['\r', '\n'])))
                .filter(|p| !p.as_os_str().is_empty()),
            size: dir_size(&path),
            last_used,
            path,
        });
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.last_used));
    Ok(out)
}

/// Removes the caches last used before `cutoff`, returning what was removed.
pub fn prune_caches(home: &GvrHome, cutoff: SystemTime) -> std::io::Result<Vec<WorkspaceCache>> {
    let mut removed = Vec::new();
    for cache in list_caches(home)? {
        if cache.last_used < cutoff {
            std::fs::remove_dir_all(&cache.path)?;
            removed.push(cache);
        }
    }
    Ok(removed)
}

/// Bytes in the files under `dir` (symlinks not followed; unreadable parts skipped).
#[allow(clippy::disallowed_methods)]
fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => total += entry.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::TestEnv;

    fn setup() -> (tempfile::TempDir, PathBuf, GvrHome) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let home = GvrHome::at(root.join("gvr"), root.join("cache"));
        (t, root, home)
    }

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn ws(home: &GvrHome, dir: &Path, gowork: Option<&str>) -> Workspace {
        std::fs::create_dir_all(dir).unwrap();
        let env = TestEnv::of(
            &gowork
                .map(|v| ("GOWORK", v))
                .into_iter()
                .collect::<Vec<_>>(),
        );
        let here = Here::new(&env, dir.to_path_buf()).unwrap();
        Workspace::find(home, &here)
    }

    #[test]
    fn root_is_go_work_then_pin_then_go_mod_then_cwd() {
        let (_t, r, home) = setup();
        assert_eq!(ws(&home, &r.join("plain/x"), None).root, r.join("plain/x"));
        write(&r.join("p/go.mod"), "module p\n");
        assert_eq!(ws(&home, &r.join("p/a/b"), None).root, r.join("p"));
        write(&r.join("p/a/.go-version"), "1.22.10\n");
        assert_eq!(ws(&home, &r.join("p/a/b"), None).root, r.join("p/a"));
        write(&r.join("go.work"), "go 1.22\n");
        let w = ws(&home, &r.join("p/a/b"), None);
        assert_eq!(w.root, r);
        assert_eq!(w.gowork, Some(r.join("go.work")));
        let w = ws(&home, &r.join("p/a/b"), Some("off"));
        assert_eq!((w.root, w.gowork), (r.join("p/a"), None));
    }

    #[test]
    fn user_gowork_file_defines_the_root() {
        let (_t, r, home) = setup();
        write(&r.join("elsewhere/team.work"), "go 1.22\n");
        let gw = r.join("elsewhere/team.work");
        let w = ws(&home, &r.join("p"), Some(gw.to_str().unwrap()));
        assert_eq!(w.gowork.as_deref(), Some(gw.as_path()));
        assert_eq!(w.root, r.join("elsewhere"));
    }

    /// GOWORK as go reads it: the environment first, else go's env file.
    #[test]
    fn gowork_in_gos_env_file_counts_and_the_environment_beats_it() {
        let (_t, r, home) = setup();
        write(&r.join("p/go.work"), "go 1.22\n");
        let team = write_ret(&r.join("team/go.work"), "go 1.22\n");
        let goenv = write_ret(&r.join("go-env"), &format!("GOWORK={}\n", team.display()));
        let find = |vars: &[(&str, &str)]| {
            let mut vars = vars.to_vec();
            vars.push(("GOENV", goenv.to_str().unwrap()));
            let env = TestEnv::of(&vars);
            Workspace::find(&home, &Here::new(&env, r.join("p")).unwrap())
        };
        let w = find(&[]);
        assert_eq!((w.root, w.gowork), (r.join("team"), Some(team.clone())));
        assert_eq!(find(&[("GOWORK", "off")]).gowork, None);
        assert_eq!(
            find(&[("GOWORK", "auto")]).gowork,
            Some(r.join("p/go.work"))
        );
        // Empty counts as unset, for go as for gvr: the file decides.
        assert_eq!(find(&[("GOWORK", "")]).gowork, Some(team));
    }

    fn write_ret(p: &Path, text: &str) -> PathBuf {
        write(p, text);
        p.to_path_buf()
    }

    #[test]
    fn gocache_is_per_root_and_readable() {
        let (_t, r, home) = setup();
        write(&r.join("a/proj/go.mod"), "module a\n");
        write(&r.join("b/proj/go.mod"), "module b\n");
        let a = ws(&home, &r.join("a/proj/pkg"), None);
        let b = ws(&home, &r.join("b/proj"), None);
        assert_ne!(a.gocache, b.gocache);
        assert_eq!(a.gocache, ws(&home, &r.join("a/proj"), None).gocache);
        let id = a.gocache.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            id.starts_with("proj-") && id.len() == "proj-".len() + 12,
            "{id}"
        );
        assert_eq!(a.gocache.parent().unwrap(), home.gocache_root());
        assert_eq!(workspace_id(Path::new("/")).split('-').next(), Some("root"));
        assert_eq!(
            workspace_id(&r.join("we ird")).split('-').next(),
            Some("we_ird")
        );
    }

    /// The root is hashed as given (callers pass canonical paths), and a GOWORK the user
    /// gives through a symlink is resolved once, where it is read.
    #[cfg(unix)]
    #[test]
    fn ids_hash_the_path_as_given_and_user_gowork_is_resolved() {
        let (_t, r, home) = setup();
        write(&r.join("real/go.work"), "go 1.22\n");
        std::os::unix::fs::symlink(r.join("real"), r.join("link")).unwrap();
        assert_ne!(workspace_id(&r.join("link")), workspace_id(&r.join("real")));
        let via_link = r.join("link/go.work");
        let w = ws(&home, &r.join("p"), Some(via_link.to_str().unwrap()));
        assert_eq!(w.root, r.join("real"));
        assert_eq!(w.gocache, ws(&home, &r.join("real"), None).gocache);
    }

    #[test]
    fn mark_used_creates_the_dir_and_records_the_root() {
        let (_t, r, home) = setup();
        let w = ws(&home, &r.join("p"), None);
        w.mark_used();
        let text = std::fs::read_to_string(w.gocache.join(USED_MARKER)).unwrap();
        assert_eq!(text.trim_end(), r.join("p").to_str().unwrap());
    }

    #[test]
    fn caches_are_listed_with_size_and_pruned_by_last_use() {
        let (_t, r, home) = setup();
        let old = ws(&home, &r.join("old"), None);
        let new = ws(&home, &r.join("new"), None);
        old.mark_used();
        new.mark_used();
        std::fs::create_dir_all(old.gocache.join("ab")).unwrap();
        std::fs::write(old.gocache.join("ab/x-a"), vec![0u8; 1000]).unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(40 * 86400);
        for p in [old.gocache.join(USED_MARKER), old.gocache.clone()] {
            std::fs::File::open(&p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let list = list_caches(&home).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].path, new.gocache);
        assert_eq!(list[1].root.as_deref(), Some(r.join("old").as_path()));
        assert!(list[1].size >= 1000, "{}", list[1].size);
        let removed =
            prune_caches(&home, SystemTime::now() - Duration::from_secs(30 * 86400)).unwrap();
        assert_eq!(
            removed.iter().map(|c| &c.path).collect::<Vec<_>>(),
            [&old.gocache]
        );
        assert!(!old.gocache.exists() && new.gocache.exists());
    }

    #[test]
    fn shared_policy() {
        assert_eq!(
            CachePolicy::from_env(Some("shared".as_ref())),
            CachePolicy::Shared
        );
        assert_eq!(CachePolicy::from_env(None), CachePolicy::PerWorkspace);
    }
}
